package org.fusekicdc.sink.kinesis;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.wire.FormatOptions;
import org.fusekicdc.core.wire.MessageFormat;

/**
 * The settings of one Kinesis Data Streams sink (or of a follower's reader of such a stream),
 * read from its {@code cdc:} options and checked all at once. Each option is declared once, in
 * {@link #OPTIONS}, with its type, default and meaning.
 *
 * @param dataset         the dataset's name, also the records' partition key
 * @param sinkName        the sink's name (its cursor in the change log)
 * @param stream          the data stream's name
 * @param region          AWS region, or null for the SDK's default region chain
 * @param endpoint        endpoint override, or null for the region's
 * @param createStream    create the stream (one shard) when it does not exist
 * @param format          what the records carry (cdc:format)
 * @param maxRecordBytes  largest record data the sink puts (envelope and patch bytes); larger patches are split
 * @param maxParts        most records one patch may take; a patch needing more is refused
 * @param credentials     static credentials from the environment, or null for the SDK's default chain
 * @param requestTimeout  longest wait for one API call, throttling retries included
 */
public record KinesisSinkConfig(String dataset, String sinkName, String stream, String region, URI endpoint, boolean createStream,
                                MessageFormat format, int maxRecordBytes, int maxParts, StaticCredentials credentials, Duration requestTimeout) {

    /** Kinesis's limit on one record: data plus partition key. */
    public static final int KINESIS_MAX_RECORD = 1024 * 1024;
    /** Kinesis's limit on a partition key, in characters. */
    public static final int MAX_PARTITION_KEY = 256;
    public static final String STREAM_PREFIX = "fuseki-cdc-";

    /** An access key pair (and session token) read from environment variables; never shown. */
    public record StaticCredentials(String accessKeyId, String secretAccessKey, String sessionToken, String source) {
        @Override
        public String toString() {
            return source;
        }
    }

    public static final Option<String> STREAM = Option.withoutDefault("streamName", "string", "fuseki-cdc-<dataset>",
        "Name of the Kinesis data stream; its records' partition key is the dataset's name, so one dataset's patches stay in one shard, in order.");
    public static final Option<String> REGION = Option.withoutDefault("region", "string", "the SDK's default (AWS_REGION, the profile's region)",
        "AWS region of the stream, e.g. eu-west-1.");
    public static final Option<String> ENDPOINT = Option.withoutDefault("endpoint", "string (URL)", "the region's endpoint",
        "Endpoint override: a VPC endpoint, or a local Kinesis implementation such as http://127.0.0.1:4567.");
    public static final Option<Boolean> CREATE_STREAM = Option.bool("createStream", false,
        "Create the stream with one provisioned shard when it does not exist (needs kinesis:CreateStream). Off: a missing stream pauses the sink.");
    public static final Option<String> FORMAT = FormatOptions.FORMAT;
    public static final Option<Long> MAX_RECORD_BYTES = Option.integer("maxRecordBytes", "integer (bytes)", 1_000_000,
        "Largest record the sink puts, header block included; a larger patch is split into records that consumers put back together."
        + " At most 1048320: Kinesis's 1 MiB less a partition key.")
        .range(2048, KINESIS_MAX_RECORD - MAX_PARTITION_KEY);
    public static final Option<Long> MAX_PARTS = Option.integer("maxParts", "integer (records)", 1024,
        "Most records one patch may be split into; a patch needing more is refused (dead-letter directory, or the sink pauses).")
        .range(1, 1_000_000);
    public static final Option<String> ACCESS_KEY_ID_ENV = Option.withoutDefault("accessKeyIdEnv", "string (variable name)", "none: the SDK's default chain",
        "Name of the environment variable holding an access key id; needs secretAccessKeyEnv. Without it the AWS SDK's default credential chain is used"
        + " (AWS_ACCESS_KEY_ID, the profile, web identity, container or instance role).");
    public static final Option<String> SECRET_ACCESS_KEY_ENV = Option.withoutDefault("secretAccessKeyEnv", "string (variable name)", "none",
        "Name of the environment variable holding the secret access key that goes with accessKeyIdEnv.");
    public static final Option<String> SESSION_TOKEN_ENV = Option.withoutDefault("sessionTokenEnv", "string (variable name)", "none",
        "Name of the environment variable holding a session token, for temporary credentials given with accessKeyIdEnv.");
    public static final Option<Long> REQUEST_TIMEOUT_SECONDS = Option.integer("requestTimeoutSeconds", "integer (seconds)", 30,
        "Longest wait for one put, retries after throttling included; then the sink reads the shard's tail and puts again only what is not there.")
        .range(1, 3600);

    /** Every option of a Kinesis sink: name, type, default, meaning. */
    public static final List<Option<?>> OPTIONS = List.of(
        STREAM, REGION, ENDPOINT, CREATE_STREAM, FORMAT, MAX_RECORD_BYTES, MAX_PARTS, ACCESS_KEY_ID_ENV, SECRET_ACCESS_KEY_ENV,
        SESSION_TOKEN_ENV, REQUEST_TIMEOUT_SECONDS);

    /** The effective settings, for the start-up log (no secrets). */
    public String describe() {
        return "stream " + stream + ", region " + (region == null ? "default" : region) + (endpoint == null ? "" : ", endpoint " + endpoint)
               + ", format " + contentType() + ", maxRecordBytes " + maxRecordBytes + ", maxParts " + maxParts + ", credentials "
               + credentialsSource() + ", requestTimeout " + requestTimeout;
    }

    /** Where the credentials come from, for messages (never the secret). */
    public String credentialsSource() {
        return credentials == null ? "the AWS SDK's default chain" : credentials.source();
    }

    @Override
    public String toString() {
        return "KinesisSinkConfig[" + describe() + "]";
    }

    /** The default stream name of a dataset: Kinesis allows letters, digits, '_', '-' and '.'. */
    public static String defaultStream(String dataset) {
        String s = STREAM_PREFIX + dataset.replaceAll("[^A-Za-z0-9_.-]", "_");
        return s.length() > 128 ? s.substring(0, 128) : s;
    }

    /**
     * Read and check every option.
     *
     * @param environment looks up the variables named by the credential options
     * @throws CdcConfigException naming the first bad option, its value and the fix
     */
    public static KinesisSinkConfig from(String dataset, OptionValues options, Function<String, String> environment) {
        if ( dataset.length() > MAX_PARTITION_KEY )
            throw options.error(STREAM.name(), "cannot be used for dataset '" + dataset + "': its name, the records' partition key, is longer than Kinesis's "
                                               + MAX_PARTITION_KEY + " characters; give the dataset a shorter name");
        String stream = stream(dataset, options);
        String region = region(options);
        URI endpoint = endpoint(options);
        boolean create = options.bool(CREATE_STREAM);
        MessageFormat format = FormatOptions.patchFormat(options);
        int maxRecordBytes = (int)options.number(MAX_RECORD_BYTES);
        int maxParts = (int)options.number(MAX_PARTS);
        StaticCredentials credentials = credentials(options, environment);
        Duration timeout = Duration.ofSeconds(options.number(REQUEST_TIMEOUT_SECONDS));
        return new KinesisSinkConfig(dataset, options.name(), stream, region, endpoint, create,
                                     format, maxRecordBytes, maxParts, credentials, timeout);
    }

    /** The media type of the records' data. */
    public String contentType() {
        return format.contentType();
    }

    static String stream(String dataset, OptionValues options) {
        String stream = options.has(STREAM.name()) ? options.string(STREAM.name(), null).trim() : defaultStream(dataset);
        if ( !stream.matches("[A-Za-z0-9_.-]{1,128}") )
            throw options.error(STREAM.name(), "holds '" + stream + "'; a Kinesis stream name has 1 to 128 letters, digits, '_', '-' or '.', e.g. \""
                                               + defaultStream(dataset) + "\"");
        return stream;
    }

    static String region(OptionValues options) {
        if ( !options.has(REGION.name()) )
            return null;
        String region = options.string(REGION.name(), null).trim().toLowerCase(Locale.ROOT);
        if ( !region.matches("[a-z0-9-]{1,64}") )
            throw options.error(REGION.name(), "holds '" + region + "', which is not an AWS region name; write e.g. \"eu-west-1\"");
        return region;
    }

    static URI endpoint(OptionValues options) {
        if ( !options.has(ENDPOINT.name()) )
            return null;
        String v = options.string(ENDPOINT.name(), null).trim();
        URI uri;
        try {
            uri = new URI(v);
        } catch (URISyntaxException ex) {
            throw options.error(ENDPOINT.name(), "holds '" + v + "', which is not a URL; write e.g. \"https://kinesis.eu-west-1.amazonaws.com\"");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ( !scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null )
            throw options.error(ENDPOINT.name(), "holds '" + v + "'; it needs http:// or https:// and a host, e.g. \"https://kinesis.eu-west-1.amazonaws.com\"");
        if ( uri.getRawUserInfo() != null )
            throw options.error(ENDPOINT.name(), "must not hold credentials; use cdc:" + ACCESS_KEY_ID_ENV.name() + " and cdc:"
                                                 + SECRET_ACCESS_KEY_ENV.name() + ", or the AWS SDK's default chain");
        return uri;
    }

    static StaticCredentials credentials(OptionValues options, Function<String, String> environment) {
        boolean id = options.has(ACCESS_KEY_ID_ENV.name()), secret = options.has(SECRET_ACCESS_KEY_ENV.name()), token = options.has(SESSION_TOKEN_ENV.name());
        if ( !id && !secret && !token )
            return null;
        if ( !id )
            throw options.error(secret ? SECRET_ACCESS_KEY_ENV.name() : SESSION_TOKEN_ENV.name(), "needs cdc:" + ACCESS_KEY_ID_ENV.name()
                                + " too (or drop both to use the AWS SDK's default credential chain)");
        if ( !secret )
            throw options.error(SECRET_ACCESS_KEY_ENV.name(), "is missing: cdc:" + ACCESS_KEY_ID_ENV.name() + " needs cdc:" + SECRET_ACCESS_KEY_ENV.name());
        String idValue = options.secretFromVariable(ACCESS_KEY_ID_ENV.name(), "AWS_ACCESS_KEY_ID", environment);
        String secretValue = options.secretFromVariable(SECRET_ACCESS_KEY_ENV.name(), "AWS_SECRET_ACCESS_KEY", environment);
        String tokenValue = token ? options.secretFromVariable(SESSION_TOKEN_ENV.name(), "AWS_SESSION_TOKEN", environment) : null;
        String source = "access key from $" + options.string(ACCESS_KEY_ID_ENV.name(), null).trim() + " (cdc:" + ACCESS_KEY_ID_ENV.name() + ")"
                        + (token ? " with a session token" : "");
        return new StaticCredentials(idValue, secretValue, tokenValue, source);
    }
}
