package org.fusekicdc.sink.pulsar;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.wire.FormatOptions;
import org.fusekicdc.core.wire.MessageFormat;

/**
 * The settings of one Apache Pulsar sink, read from its {@code cdc:} options and checked all at
 * once. Each option is declared once, in {@link #OPTIONS}, with its type, default and meaning;
 * {@code docs/sinks.md} is checked against that table.
 *
 * @param dataset         the dataset's name
 * @param sinkName        the sink's name (its cursor in the change log)
 * @param serviceUrl      pulsar:// or pulsar+ssl:// service URL
 * @param topic           where patches are published
 * @param producerName    the stable producer name the broker deduplicates by
 * @param format          the message body: RDF Patch text or binary, or a continuous query's step (JSON)
 * @param maxMessageBytes largest message body; larger patches are split into parts
 * @param token           JWT for token authentication, or null
 * @param tokenSource     where the token comes from, for messages (never the secret)
 * @param connectTimeout  connecting, and each lookup or producer creation
 * @param publishTimeout  longest wait for the broker to persist one message
 */
public record PulsarSinkConfig(String dataset, String sinkName, String serviceUrl, String topic, String producerName, MessageFormat format,
                               int maxMessageBytes, String token, String tokenSource, Duration connectTimeout, Duration publishTimeout) {

    public static final String DEFAULT_URL = "pulsar://127.0.0.1:6650";
    public static final String TOPIC_PREFIX = "persistent://public/default/fuseki-cdc-";
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
    /** The broker's default maxMessageSize (5 MiB), less room for the message's properties and metadata. */
    public static final long MAX_MESSAGE_BYTES_LIMIT = 5 * 1024 * 1024 - 64 * 1024;
    public static final long DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;
    public static final long DEFAULT_PUBLISH_TIMEOUT_SECONDS = 30;

    public static final Option<String> URL = Option.text("url", "string", DEFAULT_URL,
        "Pulsar service URL: pulsar://host:6650, pulsar+ssl://host:6651 for TLS, or a comma-separated host list after the scheme. No credentials in it: see tokenEnv.");
    public static final Option<String> TOPIC = Option.withoutDefault("topic", "string", "persistent://public/default/fuseki-cdc-<dataset>",
        "Topic the patches are published to (non-partitioned, persistent); one topic per dataset. A short name means persistent://public/default/<name>. The default replaces characters other than letters, digits, '-', '_' and '.' in the dataset name by '_'.");
    public static final Option<String> PRODUCER_NAME = Option.withoutDefault("producerName", "string", "fuseki-cdc-<dataset>-<sink name>",
        "Producer name; the broker's deduplication remembers the last sequence id per producer name, so it must stay the same across restarts and be used by no other producer.");
    public static final Option<String> FORMAT = Option.oneOf("format", "text | binary | json | step", "text", List.of("text", "binary", "json", FormatOptions.STEP),
        "Message body: RDF Patch text (application/rdf-patch), RDF Patch binary (application/rdf-patch+thrift), or a JSON change event"
        + " (application/json; followers read RDF Patch only); step = a continuous query's step as"
        + " JSON (application/json, with the cdc-query, cdc-step, cdc-evaluated-version, cdc-window-start and cdc-window-end properties): the default"
        + " and only format of a cdc:continuousQuery's sinks, refused on a dataset's.");
    public static final Option<Long> MAX_MESSAGE_BYTES = Option.integer("maxMessageBytes", "integer (bytes)", DEFAULT_MAX_MESSAGE_BYTES,
        "Largest message body; larger patches are split into parts that consumers put back together. At least 1024, at most 5177344 (the broker's default maxMessageSize less room for properties); a part over the broker's or the topic's limit is refused.")
        .range(1024, MAX_MESSAGE_BYTES_LIMIT);
    public static final Option<String> TOKEN_ENV = Option.withoutDefault("tokenEnv", "string (variable name)", "none",
        "Name of the environment variable holding a JWT for Pulsar token authentication.");
    public static final Option<Long> CONNECT_TIMEOUT_SECONDS = Option.integer("connectTimeoutSeconds", "integer (seconds)", DEFAULT_CONNECT_TIMEOUT_SECONDS,
        "Timeout to connect, and for each topic lookup and producer creation.").range(1, 600);
    public static final Option<Long> PUBLISH_TIMEOUT_SECONDS = Option.integer("publishTimeoutSeconds", "integer (seconds)", DEFAULT_PUBLISH_TIMEOUT_SECONDS,
        "Longest wait for the broker to persist one message; then the delivery is retried (a message stored meanwhile is recognised, not stored twice).")
        .range(1, 3600);

    /** Every option of a Pulsar sink: name, type, default, meaning. */
    public static final List<Option<?>> OPTIONS = List.of(
        URL, TOPIC, PRODUCER_NAME, FORMAT, MAX_MESSAGE_BYTES, TOKEN_ENV, CONNECT_TIMEOUT_SECONDS, PUBLISH_TIMEOUT_SECONDS);

    private static final Set<String> SCHEMES = Set.of("pulsar", "pulsar+ssl");

    /** The content type of the messages' bodies. */
    public String contentType() {
        return format.contentType();
    }

    /** The effective settings, for the start-up log (no secrets). */
    public String describe() {
        return "url " + serviceUrl + ", topic " + topic + ", producer " + producerName + ", format " + format.name() + ", maxMessageBytes "
               + maxMessageBytes + ", credentials " + tokenSource + ", connectTimeout " + connectTimeout + ", publishTimeout " + publishTimeout;
    }

    @Override
    public String toString() {
        return "PulsarSinkConfig[" + describe() + "]";
    }

    /**
     * Read and check every option.
     *
     * @param environment looks up the variable named by cdc:tokenEnv
     * @throws org.fusekicdc.core.CdcConfigException naming the first bad option, its value and the fix
     */
    public static PulsarSinkConfig from(String dataset, OptionValues options, Function<String, String> environment) {
        String url = serviceUrl(options);
        String topic = topic(options, dataset);
        String producer = options.has(PRODUCER_NAME.name()) ? options.string(PRODUCER_NAME.name(), null).trim()
                                                            : "fuseki-cdc-" + safe(dataset) + "-" + safe(options.name());
        if ( producer.isEmpty() || producer.chars().anyMatch(c -> c <= ' ' || c >= 127) )
            throw options.error(PRODUCER_NAME.name(), "must be printable ASCII without spaces, got '" + producer + "'");
        options.oneOf(FORMAT);
        MessageFormat format = FormatOptions.format(options);
        int maxMessageBytes = (int)options.number(MAX_MESSAGE_BYTES);
        String token = token(options, environment);
        String source = token == null ? "none" : "token from $" + options.string(TOKEN_ENV.name(), null).trim();
        return new PulsarSinkConfig(dataset, options.name(), url, topic, producer, format,
                                    maxMessageBytes, token, source, Duration.ofSeconds(options.number(CONNECT_TIMEOUT_SECONDS)),
                                    Duration.ofSeconds(options.number(PUBLISH_TIMEOUT_SECONDS)));
    }

    static String token(OptionValues options, Function<String, String> environment) {
        return options.has(TOKEN_ENV.name()) ? options.secretFromVariable(TOKEN_ENV.name(), "PULSAR_TOKEN", environment).trim() : null;
    }

    static String serviceUrl(OptionValues options) {
        String v = options.string(URL).trim();
        URI uri;
        try {
            // A multi-host URL (pulsar://h1:6650,h2:6650) is no URI: check its first host.
            int comma = v.indexOf(',');
            uri = new URI(comma < 0 ? v : v.substring(0, comma));
        } catch (URISyntaxException ex) {
            throw options.error(URL.name(), "holds '" + v + "', which is not a URL; write e.g. \"" + DEFAULT_URL + "\"");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ( !SCHEMES.contains(scheme) || uri.getHost() == null )
            throw options.error(URL.name(), "holds '" + v + "'; it needs the scheme pulsar:// (or pulsar+ssl:// for TLS) and a host, e.g. \"" + DEFAULT_URL + "\"");
        if ( uri.getRawUserInfo() != null )
            throw options.error(URL.name(), "must not hold credentials (the URL has user information); pass a token through the environment with cdc:"
                                            + TOKEN_ENV.name());
        return v;
    }

    static String topic(OptionValues options, String dataset) {
        String t = options.has(TOPIC.name()) ? options.string(TOPIC.name(), null).trim() : TOPIC_PREFIX + safe(dataset);
        if ( t.isEmpty() || t.chars().anyMatch(c -> c <= ' ' || c >= 127) )
            throw options.error(TOPIC.name(), "must be a Pulsar topic name of printable ASCII without spaces, got '" + t + "'");
        if ( t.startsWith("non-persistent://") )
            throw options.error(TOPIC.name(), "names a non-persistent topic ('" + t + "'), which keeps nothing and cannot deduplicate; use persistent://");
        if ( t.contains("://") && !t.startsWith("persistent://") )
            throw options.error(TOPIC.name(), "holds '" + t + "'; write persistent://tenant/namespace/topic or a short topic name");
        return t;
    }

    static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
