package org.fusekicdc.sink.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.wire.FormatOptions;
import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;

/**
 * The settings of one Redis Streams sink, read from its {@code cdc:} options and checked all at
 * once. Each option is declared once, in {@link #OPTIONS}, with its type, default and meaning;
 * {@code docs/sinks.md} is checked against that table.
 *
 * @param dataset        the dataset's name
 * @param sinkName       the sink's name (its cursor in the change log)
 * @param url            redis:// or rediss:// URL.name(), without credentials
 * @param stream         the stream key
 * @param versionKey     the hash holding the stream's last version and patch id
 * @param format         what the entry's patch field holds (cdc:format)
 * @param maxLen         approximate trimming (XADD MAXLEN ~), 0 for none
 * @param maxEntryBytes  largest patch the sink writes as an entry
 * @param user           user name (ACL), or null
 * @param password       password, or null
 * @param credentialsSource where the credentials come from, for messages (never the secret)
 * @param connectTimeout connecting
 * @param commandTimeout longest wait for one command's reply
 */
public record RedisSinkConfig(String dataset, String sinkName, URI url, String stream, String versionKey, MessageFormat format,
                              long maxLen, int maxEntryBytes, String user, String password, String credentialsSource,
                              Duration connectTimeout, Duration commandTimeout) {

    public static final String DEFAULT_URL = "redis://127.0.0.1:6379";
    public static final String STREAM_PREFIX = "fuseki-cdc:";
    public static final String VERSION_SUFFIX = ":version";
    public static final long DEFAULT_MAX_ENTRY_BYTES = 64L * 1024 * 1024;
    /** Redis's own limit on one argument (proto-max-bulk-len, by default). */
    public static final long REDIS_MAX_BULK = 512L * 1024 * 1024;

    public static final Option<String> URL = Option.text("url", "string", DEFAULT_URL,
        "Redis server: redis://host:port, rediss://host:port for TLS, optionally /db for a database number. No credentials in it: see userEnv and passwordEnv.");
    public static final Option<String> STREAM_KEY = Option.withoutDefault("streamKey", "string", "fuseki-cdc:<dataset>",
        "Key of the stream the patches are appended to, one entry per patch; one stream per dataset.");
    public static final Option<String> VERSION_KEY = Option.withoutDefault("versionKey", "string", "<streamKey>:version",
        "Key of the hash holding the stream's last version and patch id; written by the same server-side script as each entry, so the two never disagree.");
    public static final Option<String> FORMAT = FormatOptions.FORMAT;
    public static final Option<Long> MAX_LEN = Option.integer("maxLen", "integer (entries)", 0,
        "Approximate trimming: each XADD keeps about this many newest entries (MAXLEN ~). Consumers that fall further behind miss entries.")
        .range(0, Long.MAX_VALUE)
        .defaultText("0 (no trimming)");
    public static final Option<Long> MAX_ENTRY_BYTES = Option.integer("maxEntryBytes", "integer (bytes)", DEFAULT_MAX_ENTRY_BYTES,
        "Largest patch (in the chosen format) written as an entry; a larger one is refused (dead-letter directory, or the sink pauses). At most 536870912, Redis's proto-max-bulk-len default.")
        .range(1024, REDIS_MAX_BULK);
    public static final Option<String> USER_ENV = Option.withoutDefault("userEnv", "string (variable name)", "none",
        "Name of the environment variable holding the Redis ACL user name; needs passwordEnv.");
    public static final Option<String> PASSWORD_ENV = Option.withoutDefault("passwordEnv", "string (variable name)", "none",
        "Name of the environment variable holding the password (requirepass, or the ACL user's).");
    public static final Option<Long> CONNECT_TIMEOUT_SECONDS = Option.integer("connectTimeoutSeconds", "integer (seconds)", 5,
        "Timeout to connect.").range(1, 600);
    public static final Option<Long> COMMAND_TIMEOUT_SECONDS = Option.integer("commandTimeoutSeconds", "integer (seconds)", 30,
        "Longest wait for Redis to answer one command; then the delivery is retried (an entry written meanwhile is recognised, not written twice).")
        .range(1, 3600);

    /** Every option of a Redis sink: name, type, default, meaning. */
    public static final List<Option<?>> OPTIONS = List.of(
        URL, STREAM_KEY, VERSION_KEY, FORMAT, MAX_LEN, MAX_ENTRY_BYTES, USER_ENV, PASSWORD_ENV, CONNECT_TIMEOUT_SECONDS,
        COMMAND_TIMEOUT_SECONDS);

    /** The effective settings, for the start-up log (no secrets). */
    public String describe() {
        return "url " + url + ", stream " + stream + ", version key " + versionKey + ", format " + contentType() + ", maxLen "
               + (maxLen == 0 ? "none" : "~" + maxLen) + ", maxEntryBytes " + maxEntryBytes + ", credentials " + credentialsSource
               + ", connectTimeout " + connectTimeout + ", commandTimeout " + commandTimeout;
    }

    @Override
    public String toString() {
        return "RedisSinkConfig[" + describe() + "]";
    }

    /**
     * Read and check every option.
     *
     * @param environment looks up the variables named by the credential options
     * @throws CdcConfigException naming the first bad option, its value and the fix
     */
    public static RedisSinkConfig from(String dataset, OptionValues options, Function<String, String> environment) {
        URI url = url(options);
        String stream = options.has(STREAM_KEY.name()) ? options.string(STREAM_KEY.name(), null).trim() : STREAM_PREFIX + dataset;
        checkKey(options, STREAM_KEY.name(), stream);
        String versionKey = options.has(VERSION_KEY.name()) ? options.string(VERSION_KEY.name(), null).trim() : stream + VERSION_SUFFIX;
        checkKey(options, VERSION_KEY.name(), versionKey);
        if ( versionKey.equals(stream) )
            throw options.error(VERSION_KEY.name(), "is the same key as cdc:" + STREAM_KEY.name() + " ('" + stream + "'); give it a key of its own, e.g. \""
                                             + stream + VERSION_SUFFIX + "\"");
        MessageFormat format = FormatOptions.patchFormat(options);
        long maxLen = options.number(MAX_LEN);
        int maxEntryBytes = (int)options.number(MAX_ENTRY_BYTES);
        boolean hasUser = options.has(USER_ENV.name()), hasPassword = options.has(PASSWORD_ENV.name());
        if ( hasUser && !hasPassword )
            throw options.error(PASSWORD_ENV.name(), "is missing: cdc:" + USER_ENV.name() + " needs cdc:" + PASSWORD_ENV.name());
        String user = hasUser ? options.secretFromVariable(USER_ENV.name(), "REDIS_PASSWORD", environment) : null;
        String password = hasPassword ? options.secretFromVariable(PASSWORD_ENV.name(), "REDIS_PASSWORD", environment) : null;
        String source = !hasPassword ? "none"
            : (hasUser ? "user from $" + options.string(USER_ENV.name(), null).trim() + ", " : "") + "password from $" + options.string(PASSWORD_ENV.name(), null).trim();
        Duration connect = Duration.ofSeconds(options.number(CONNECT_TIMEOUT_SECONDS));
        Duration command = Duration.ofSeconds(options.number(COMMAND_TIMEOUT_SECONDS));
        return new RedisSinkConfig(dataset, options.name(), url, stream, versionKey, format,
                                   maxLen, maxEntryBytes, user, password, source, connect, command);
    }

    /** The media type of the entry's patch field. */
    public String contentType() {
        return format.contentType();
    }

    /** The database number of the URL.name()'s path ({@code /3}), 0 without one. */
    public int database() {
        String path = url.getPath();
        return path == null || path.length() <= 1 ? 0 : Integer.parseInt(path.substring(1));
    }

    public boolean tls() {
        return "rediss".equalsIgnoreCase(url.getScheme());
    }

    private static URI url(OptionValues options) {
        String v = options.string(URL).trim();
        URI uri;
        try {
            uri = new URI(v);
        } catch (URISyntaxException ex) {
            throw options.error(URL.name(), "holds '" + v + "', which is not a URL; write e.g. \"" + DEFAULT_URL + "\"");
        }
        if ( uri.getRawUserInfo() != null )
            throw options.error(URL.name(), "must not hold credentials (the URL has user information); pass them through the environment with cdc:"
                                     + USER_ENV.name() + " and cdc:" + PASSWORD_ENV.name());
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ( !scheme.equals("redis") && !scheme.equals("rediss") || uri.getHost() == null )
            throw options.error(URL.name(), "holds '" + v + "'; it needs the scheme redis:// (or rediss:// for TLS) and a host, e.g. \"" + DEFAULT_URL + "\"");
        if ( uri.getQuery() != null || uri.getFragment() != null )
            throw options.error(URL.name(), "holds '" + v + "'; query parameters are not used: write redis://host:port or redis://host:port/db");
        String path = uri.getPath();
        if ( path != null && path.length() > 1 && !path.substring(1).matches("[0-9]{1,5}") )
            throw options.error(URL.name(), "holds '" + v + "', whose path '" + path + "' is not a database number; write e.g. \"redis://host:6379/0\"");
        return uri;
    }

    private static void checkKey(OptionValues options, String option, String key) {
        if ( key.isEmpty() )
            throw options.error(option, "is empty; give a Redis key such as \"fuseki-cdc:ds\"");
        if ( key.chars().anyMatch(c -> c < 32 || c == 127) )
            throw options.error(option, "holds control characters; give a Redis key such as \"fuseki-cdc:ds\"");
    }

}
