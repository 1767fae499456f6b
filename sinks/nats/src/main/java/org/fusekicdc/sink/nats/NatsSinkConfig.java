package org.fusekicdc.sink.nats;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.wire.CloudEvents;
import org.fusekicdc.core.wire.FormatOptions;
import org.fusekicdc.core.wire.MessageFormat;

/**
 * The settings of one NATS JetStream sink, read from its {@code cdc:} options and checked all at
 * once. Each option is declared once, in {@link #OPTIONS}, with its type, default and meaning;
 * {@code docs/sinks.md} is checked against that table.
 *
 * @param dataset         the dataset's name
 * @param sinkName        the sink's name (its cursor in the change log)
 * @param servers         server URLs, tried in order
 * @param subject         where patches are published
 * @param stream          the JetStream stream that stores the subject
 * @param contentType     the media type of {@code messageFormat}
 * @param maxMessageBytes largest message body; 0 = derived from the server's and the stream's limits
 * @param storage         storage of a stream the sink creates: "file" or "memory"
 * @param replicas        replicas of a stream the sink creates
 * @param duplicateWindow the stream's duplicate-detection window
 * @param maxAge          the stream's message age limit, or null for none
 * @param createStream    create the stream when it does not exist
 * @param credentials     how to authenticate
 * @param connectTimeout  connecting, and each stream management request
 * @param publishTimeout  longest wait for a publish acknowledgement
 * @param given           the options written in the configuration (checked against an existing stream)
 * @param messageFormat   what a message body holds
 * @param cloudEvents     the CloudEvents attributes sent as {@code ce-} headers, when configured
 */
public record NatsSinkConfig(String dataset, String sinkName, List<String> servers, String subject, String stream,
                             String contentType, int maxMessageBytes, String storage, int replicas, Duration duplicateWindow,
                             Duration maxAge, boolean createStream, Credentials credentials, Duration connectTimeout,
                             Duration publishTimeout, Set<String> given, MessageFormat messageFormat, Optional<CloudEvents> cloudEvents) {

    public static final String DEFAULT_URL = "nats://127.0.0.1:4222";
    public static final String SUBJECT_PREFIX = "fuseki-cdc.";
    public static final String STREAM_PREFIX = "FUSEKI_CDC_";
    public static final long DEFAULT_DUPLICATE_WINDOW_SECONDS = 120;
    public static final long DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;
    public static final long DEFAULT_PUBLISH_TIMEOUT_SECONDS = 30;
    /** PatchMessages cannot cut smaller parts. */
    public static final int MIN_MESSAGE_BYTES = 1024;

    public static final Option<String> URL = Option.text("url", "string", DEFAULT_URL,
        "NATS server URL, or a comma-separated list of URLs of one cluster (nats://, tls://, ws://, wss://). No credentials in it: see userEnv, tokenEnv, credsFileEnv.");
    public static final Option<String> SUBJECT = Option.withoutDefault("subject", "string", "fuseki-cdc.<dataset>",
        "Subject the patches are published to; one subject per dataset. The default replaces characters other than letters, digits, '-' and '_' in the dataset name by '_'.");
    public static final Option<String> STREAM = Option.withoutDefault("stream", "string", "FUSEKI_CDC_<DATASET>",
        "JetStream stream that stores the subject. The default is the dataset name upper-cased, with characters other than A-Z and 0-9 replaced by '_'.");
    public static final Option<String> FORMAT = FormatOptions.FORMAT;
    public static final Option<Long> MAX_MESSAGE_BYTES = Option.integer("maxMessageBytes", "integer (bytes)", 0,
        "Largest message body; larger patches are split into parts. Derived by default from the server's max_payload and the stream's max_msg_size, less room for headers. At least 1024.")
        .range(MIN_MESSAGE_BYTES, Integer.MAX_VALUE)
        .defaultText("derived");
    public static final Option<String> STREAM_STORAGE = Option.oneOf("streamStorage", "file | memory", "file", List.of("file", "memory"),
        "Storage of a stream the sink creates. Checked against an existing stream when given.");
    public static final Option<Long> STREAM_REPLICAS = Option.integer("streamReplicas", "integer", 1,
        "Replicas of a stream the sink creates (1 to 5). Checked against an existing stream when given.").range(1, 5);
    public static final Option<Long> DUPLICATE_WINDOW_SECONDS = Option.integer("duplicateWindowSeconds", "integer (seconds)", DEFAULT_DUPLICATE_WINDOW_SECONDS,
        "Duplicate-detection window of a stream the sink creates. Checked against an existing stream when given.").range(1, 7 * 24 * 3600);
    public static final Option<String> STREAM_MAX_AGE = Option.withoutDefault("streamMaxAge", "xsd:duration (e.g. \"P7D\")", "none",
        "Age limit of messages in a stream the sink creates; none keeps them until removed by other limits. Checked against an existing stream when given.");
    public static final Option<Boolean> CREATE_STREAM = Option.bool("createStream", true,
        "Create the stream when it does not exist. An existing stream is always checked: it must capture the subject and accept acknowledged publishes.");
    public static final Option<String> USER_ENV = Option.withoutDefault("userEnv", "string (variable name)", "none",
        "Name of the environment variable holding the user name; needs passwordEnv.");
    public static final Option<String> PASSWORD_ENV = Option.withoutDefault("passwordEnv", "string (variable name)", "none",
        "Name of the environment variable holding the password; needs userEnv.");
    public static final Option<String> TOKEN_ENV = Option.withoutDefault("tokenEnv", "string (variable name)", "none",
        "Name of the environment variable holding an authentication token.");
    public static final Option<String> CREDS_FILE_ENV = Option.withoutDefault("credsFileEnv", "string (variable name)", "none",
        "Name of the environment variable holding the path of a NATS credentials (.creds) file.");
    public static final Option<Long> CONNECT_TIMEOUT_SECONDS = Option.integer("connectTimeoutSeconds", "integer (seconds)", DEFAULT_CONNECT_TIMEOUT_SECONDS,
        "Timeout to connect, and for each stream management request.").range(1, 600);
    public static final Option<Long> PUBLISH_TIMEOUT_SECONDS = Option.integer("publishTimeoutSeconds", "integer (seconds)", DEFAULT_PUBLISH_TIMEOUT_SECONDS,
        "Longest wait for the stream to acknowledge one message; then the delivery is retried.").range(1, 600);

    /** Every option of a NATS sink: name, type, default, meaning. */
    public static final List<Option<?>> OPTIONS = List.of(
        URL, SUBJECT, STREAM, FORMAT, MAX_MESSAGE_BYTES, STREAM_STORAGE, STREAM_REPLICAS, DUPLICATE_WINDOW_SECONDS,
        STREAM_MAX_AGE, CREATE_STREAM, USER_ENV, PASSWORD_ENV, TOKEN_ENV, CREDS_FILE_ENV, CONNECT_TIMEOUT_SECONDS,
        PUBLISH_TIMEOUT_SECONDS, FormatOptions.CLOUD_EVENTS, FormatOptions.CLOUD_EVENTS_SOURCE, FormatOptions.CLOUD_EVENTS_TYPE,
        FormatOptions.ENTITY_CONTEXT, FormatOptions.ENTITY_FRAME, FormatOptions.ENTITY_DEPTH);

    private static final Set<String> SCHEMES = Set.of("nats", "tls", "ws", "wss");

    /** How the sink authenticates; {@link #toString} never shows a secret. */
    public record Credentials(Kind kind, String user, String secret, Path credsFile, String source) {
        public enum Kind { NONE, USER_PASSWORD, TOKEN, CREDS_FILE }

        public static final Credentials NONE = new Credentials(Kind.NONE, null, null, null, "none");

        @Override
        public String toString() {
            return source;
        }
    }

    /** The effective settings, for the start-up log (no secrets). */
    public String describe() {
        return "servers " + servers + ", subject " + subject + ", stream " + stream + ", format " + messageFormat.name() + ", cloudEvents " + (cloudEvents.isPresent() ? "binary " + cloudEvents.get() : "none")
               + ", maxMessageBytes " + (maxMessageBytes == 0 ? "derived" : maxMessageBytes) + ", streamStorage " + storage
               + ", streamReplicas " + replicas + ", duplicateWindow " + duplicateWindow + ", streamMaxAge " + (maxAge == null ? "none" : maxAge)
               + ", createStream " + createStream + ", credentials " + credentials + ", connectTimeout " + connectTimeout
               + ", publishTimeout " + publishTimeout;
    }

    /**
     * Read and check every option.
     *
     * @param environment looks up the variables named by the credential options
     * @throws CdcConfigException naming the first bad option, its value and the fix
     */
    public static NatsSinkConfig from(String dataset, OptionValues options, Function<String, String> environment) {
        String name = options.name();
        List<String> servers = servers(options);
        String subject = options.has(SUBJECT.name()) ? options.string(SUBJECT.name(), null).trim() : defaultSubject(dataset);
        checkSubject(options, subject);
        String stream = options.has(STREAM.name()) ? options.string(STREAM.name(), null).trim() : defaultStream(dataset);
        checkStream(options, stream);
        MessageFormat format = FormatOptions.format(options);
        Optional<CloudEvents> cloudEvents = FormatOptions.cloudEvents(dataset, options);
        int maxMessageBytes = (int)options.number(MAX_MESSAGE_BYTES);
        String storage = options.oneOf(STREAM_STORAGE);
        int replicas = (int)options.number(STREAM_REPLICAS);
        Duration duplicateWindow = Duration.ofSeconds(options.number(DUPLICATE_WINDOW_SECONDS));
        Duration maxAge = options.duration(STREAM_MAX_AGE.name(), null);
        if ( maxAge != null && (maxAge.isNegative() || maxAge.isZero()) )
            throw options.error(STREAM_MAX_AGE.name(), "must be a positive duration such as \"P7D\", got " + maxAge);
        if ( maxAge != null && duplicateWindow.compareTo(maxAge) > 0 )
            throw options.error(DUPLICATE_WINDOW_SECONDS.name(), "(" + duplicateWindow.toSeconds() + " s) must not be longer than cdc:" + STREAM_MAX_AGE.name()
                                                          + " (" + maxAge + "); JetStream refuses such a stream. Shorten the window or lengthen the age");
        boolean createStream = options.bool(CREATE_STREAM);
        Credentials credentials = credentials(options, environment);
        Duration connectTimeout = Duration.ofSeconds(options.number(CONNECT_TIMEOUT_SECONDS));
        Duration publishTimeout = Duration.ofSeconds(options.number(PUBLISH_TIMEOUT_SECONDS));
        Set<String> given = new java.util.HashSet<>();
        for ( Option<?> o : OPTIONS ) {
            if ( options.has(o.name()) )
                given.add(o.name());
        }
        return new NatsSinkConfig(dataset, name, servers, subject, stream, format.contentType(),
                                  maxMessageBytes, storage, replicas, duplicateWindow, maxAge, createStream, credentials, connectTimeout,
                                  publishTimeout, Set.copyOf(given), format, cloudEvents);
    }

    /** {@code fuseki-cdc.<dataset>}, with characters other than letters, digits, '-' and '_' replaced by '_'. */
    public static String defaultSubject(String dataset) {
        return SUBJECT_PREFIX + dataset.replaceAll("[^A-Za-z0-9_-]", "_");
    }

    /** {@code FUSEKI_CDC_<DATASET>}: upper-cased, characters other than A-Z and 0-9 replaced by '_'. */
    public static String defaultStream(String dataset) {
        return STREAM_PREFIX + dataset.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    static List<String> servers(OptionValues options) {
        String v = options.string(URL);
        List<String> out = new ArrayList<>();
        for ( String s : v.split(",") ) {
            String url = s.trim();
            if ( url.isEmpty() )
                continue;
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException ex) {
                throw options.error(URL.name(), "holds '" + url + "', which is not a URL; write e.g. \"nats://host:4222\" or a comma-separated list of them");
            }
            if ( uri.getRawUserInfo() != null )
                throw options.error(URL.name(), "must not hold credentials (a URL has user information); pass them through the environment with cdc:"
                                         + USER_ENV.name() + "/cdc:" + PASSWORD_ENV.name() + ", cdc:" + TOKEN_ENV.name() + " or cdc:" + CREDS_FILE_ENV.name());
            if ( uri.getScheme() == null || !SCHEMES.contains(uri.getScheme().toLowerCase(Locale.ROOT)) || uri.getHost() == null )
                throw options.error(URL.name(), "holds '" + url + "'; each URL needs a scheme nats://, tls://, ws:// or wss:// and a host, e.g. \"nats://host:4222\"");
            out.add(url);
        }
        if ( out.isEmpty() )
            throw options.error(URL.name(), "is empty; write e.g. \"" + DEFAULT_URL + "\"");
        return List.copyOf(out);
    }

    private static void checkSubject(OptionValues options, String subject) {
        if ( subject.isEmpty() || subject.chars().anyMatch(c -> Character.isWhitespace(c) || c > 126 || c < 33) )
            throw options.error(SUBJECT.name(), "must be a NATS subject of printable ASCII characters without spaces, got '" + subject + "'");
        for ( String token : subject.split("\\.", -1) ) {
            if ( token.isEmpty() )
                throw options.error(SUBJECT.name(), "has an empty token ('..' or a '.' at either end): '" + subject + "'");
            if ( token.equals("*") || token.equals(">") )
                throw options.error(SUBJECT.name(), "must not contain wildcards ('*', '>'): patches are published to one exact subject, got '" + subject + "'");
        }
    }

    private static void checkStream(OptionValues options, String stream) {
        if ( stream.isEmpty() || stream.length() > 255
             || stream.chars().anyMatch(c -> c < 33 || c > 126 || c == '.' || c == '*' || c == '>' || c == '/' || c == '\\') )
            throw options.error(STREAM.name(), "must be a JetStream stream name: 1 to 255 printable ASCII characters without '.', '*', '>', '/', '\\' or spaces; got '"
                                        + stream + "'");
    }

    static Credentials credentials(OptionValues options, Function<String, String> environment) {
        boolean user = options.has(USER_ENV.name()), password = options.has(PASSWORD_ENV.name());
        boolean token = options.has(TOKEN_ENV.name()), creds = options.has(CREDS_FILE_ENV.name());
        if ( user != password )
            throw options.error(user ? PASSWORD_ENV.name() : USER_ENV.name(), "is missing: cdc:" + USER_ENV.name() + " and cdc:" + PASSWORD_ENV.name() + " go together");
        int kinds = (user ? 1 : 0) + (token ? 1 : 0) + (creds ? 1 : 0);
        if ( kinds > 1 )
            throw options.error(user ? USER_ENV.name() : TOKEN_ENV.name(), "conflicts with another way to authenticate; give only one of cdc:" + USER_ENV.name() + "/cdc:"
                                                             + PASSWORD_ENV.name() + ", cdc:" + TOKEN_ENV.name() + ", cdc:" + CREDS_FILE_ENV.name());
        if ( user ) {
            String u = options.secretFromVariable(USER_ENV.name(), "NATS_TOKEN", environment);
            String p = options.secretFromVariable(PASSWORD_ENV.name(), "NATS_TOKEN", environment);
            return new Credentials(Credentials.Kind.USER_PASSWORD, u, p, null,
                                   "user and password from $" + options.string(USER_ENV.name(), null) + " and $" + options.string(PASSWORD_ENV.name(), null));
        }
        if ( token )
            return new Credentials(Credentials.Kind.TOKEN, null, options.secretFromVariable(TOKEN_ENV.name(), "NATS_TOKEN", environment), null,
                                   "token from $" + options.string(TOKEN_ENV.name(), null));
        if ( creds ) {
            Path file = Path.of(options.secretFromVariable(CREDS_FILE_ENV.name(), "NATS_TOKEN", environment));
            if ( !Files.isReadable(file) )
                throw options.error(CREDS_FILE_ENV.name(), "names variable " + options.string(CREDS_FILE_ENV.name(), null) + ", whose value " + file
                                                    + " is not a readable file; point it at the NATS .creds file");
            return new Credentials(Credentials.Kind.CREDS_FILE, null, null, file, "credentials file " + file + " from $" + options.string(CREDS_FILE_ENV.name(), null));
        }
        return Credentials.NONE;
    }

}
