package org.fusekicdc.sink.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.sink.PatchRecord;
import org.fusekicdc.core.sink.SinkOptions;
import org.fusekicdc.core.sink.SinkProvider.SinkOption;

/**
 * The settings of one Redis Streams sink, read from its {@code cdc:} options and checked all at
 * once. Each option is declared once, in {@link #OPTIONS}, with its type, default and meaning;
 * {@code docs/sinks.md} is checked against that table.
 *
 * @param dataset        the dataset's name
 * @param sinkName       the sink's name (its cursor in the change log)
 * @param url            redis:// or rediss:// URL, without credentials
 * @param stream         the stream key
 * @param versionKey     the hash holding the stream's last version and patch id
 * @param contentType    {@link PatchRecord#TEXT} or {@link PatchRecord#BINARY}
 * @param maxLen         approximate trimming (XADD MAXLEN ~), 0 for none
 * @param maxEntryBytes  largest patch the sink writes as an entry
 * @param user           user name (ACL), or null
 * @param password       password, or null
 * @param credentialsSource where the credentials come from, for messages (never the secret)
 * @param connectTimeout connecting
 * @param commandTimeout longest wait for one command's reply
 */
public record RedisSinkConfig(String dataset, String sinkName, URI url, String stream, String versionKey, String contentType,
                              long maxLen, int maxEntryBytes, String user, String password, String credentialsSource,
                              Duration connectTimeout, Duration commandTimeout) {

    public static final String URL = "url";
    public static final String STREAM_KEY = "streamKey";
    public static final String VERSION_KEY = "versionKey";
    public static final String FORMAT = "format";
    public static final String MAX_LEN = "maxLen";
    public static final String MAX_ENTRY_BYTES = "maxEntryBytes";
    public static final String USER_ENV = "userEnv";
    public static final String PASSWORD_ENV = "passwordEnv";
    public static final String CONNECT_TIMEOUT_SECONDS = "connectTimeoutSeconds";
    public static final String COMMAND_TIMEOUT_SECONDS = "commandTimeoutSeconds";

    public static final String DEFAULT_URL = "redis://127.0.0.1:6379";
    public static final String STREAM_PREFIX = "fuseki-cdc:";
    public static final String VERSION_SUFFIX = ":version";
    public static final long DEFAULT_MAX_ENTRY_BYTES = 64L * 1024 * 1024;
    /** Redis's own limit on one argument (proto-max-bulk-len, by default). */
    public static final long REDIS_MAX_BULK = 512L * 1024 * 1024;

    /** Every option of a Redis sink: name, type, default, meaning. */
    public static final List<SinkOption> OPTIONS = List.of(
        new SinkOption(URL, "string", DEFAULT_URL,
                       "Redis server: redis://host:port, rediss://host:port for TLS, optionally /db for a database number. No credentials in it: see userEnv and passwordEnv."),
        new SinkOption(STREAM_KEY, "string", "fuseki-cdc:<dataset>",
                       "Key of the stream the patches are appended to, one entry per patch; one stream per dataset."),
        new SinkOption(VERSION_KEY, "string", "<streamKey>:version",
                       "Key of the hash holding the stream's last version and patch id; written by the same server-side script as each entry, so the two never disagree."),
        new SinkOption(FORMAT, "text | binary", "text",
                       "The entry's patch field: RDF Patch text (application/rdf-patch) or RDF Patch binary (application/rdf-patch+thrift)."),
        new SinkOption(MAX_LEN, "integer (entries)", "0 (no trimming)",
                       "Approximate trimming: each XADD keeps about this many newest entries (MAXLEN ~). Consumers that fall further behind miss entries."),
        new SinkOption(MAX_ENTRY_BYTES, "integer (bytes)", String.valueOf(DEFAULT_MAX_ENTRY_BYTES),
                       "Largest patch (in the chosen format) written as an entry; a larger one is refused (dead-letter directory, or the sink pauses). At most 536870912, Redis's proto-max-bulk-len default."),
        new SinkOption(USER_ENV, "string (variable name)", "none",
                       "Name of the environment variable holding the Redis ACL user name; needs passwordEnv."),
        new SinkOption(PASSWORD_ENV, "string (variable name)", "none",
                       "Name of the environment variable holding the password (requirepass, or the ACL user's)."),
        new SinkOption(CONNECT_TIMEOUT_SECONDS, "integer (seconds)", "5",
                       "Timeout to connect."),
        new SinkOption(COMMAND_TIMEOUT_SECONDS, "integer (seconds)", "30",
                       "Longest wait for Redis to answer one command; then the delivery is retried (an entry written meanwhile is recognised, not written twice)."));


    /** The effective settings, for the start-up log (no secrets). */
    public String describe() {
        return "url " + url + ", stream " + stream + ", version key " + versionKey + ", format " + contentType + ", maxLen "
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
    public static RedisSinkConfig from(String dataset, SinkOptions options, Function<String, String> environment) {
        URI url = url(options);
        String stream = options.has(STREAM_KEY) ? options.string(STREAM_KEY, null).trim() : STREAM_PREFIX + dataset;
        checkKey(options, STREAM_KEY, stream);
        String versionKey = options.has(VERSION_KEY) ? options.string(VERSION_KEY, null).trim() : stream + VERSION_SUFFIX;
        checkKey(options, VERSION_KEY, versionKey);
        if ( versionKey.equals(stream) )
            throw options.error(VERSION_KEY, "is the same key as cdc:" + STREAM_KEY + " ('" + stream + "'); give it a key of its own, e.g. \""
                                             + stream + VERSION_SUFFIX + "\"");
        String format = options.oneOf(FORMAT, "text", "text", "binary");
        long maxLen = options.number(MAX_LEN, 0, 0, Long.MAX_VALUE);
        int maxEntryBytes = (int)options.number(MAX_ENTRY_BYTES, DEFAULT_MAX_ENTRY_BYTES, 1024, REDIS_MAX_BULK);
        boolean hasUser = options.has(USER_ENV), hasPassword = options.has(PASSWORD_ENV);
        if ( hasUser && !hasPassword )
            throw options.error(PASSWORD_ENV, "is missing: cdc:" + USER_ENV + " needs cdc:" + PASSWORD_ENV);
        String user = hasUser ? options.secretFromVariable(USER_ENV, "REDIS_PASSWORD", environment) : null;
        String password = hasPassword ? options.secretFromVariable(PASSWORD_ENV, "REDIS_PASSWORD", environment) : null;
        String source = !hasPassword ? "none"
            : (hasUser ? "user from $" + options.string(USER_ENV, null).trim() + ", " : "") + "password from $" + options.string(PASSWORD_ENV, null).trim();
        Duration connect = Duration.ofSeconds(options.number(CONNECT_TIMEOUT_SECONDS, 5, 1, 600));
        Duration command = Duration.ofSeconds(options.number(COMMAND_TIMEOUT_SECONDS, 30, 1, 3600));
        return new RedisSinkConfig(dataset, options.sink(), url, stream, versionKey, "binary".equals(format) ? PatchRecord.BINARY : PatchRecord.TEXT,
                                   maxLen, maxEntryBytes, user, password, source, connect, command);
    }

    /** The database number of the URL's path ({@code /3}), 0 without one. */
    public int database() {
        String path = url.getPath();
        return path == null || path.length() <= 1 ? 0 : Integer.parseInt(path.substring(1));
    }

    public boolean tls() {
        return "rediss".equalsIgnoreCase(url.getScheme());
    }

    private static URI url(SinkOptions options) {
        String v = options.string(URL, DEFAULT_URL).trim();
        URI uri;
        try {
            uri = new URI(v);
        } catch (URISyntaxException ex) {
            throw options.error(URL, "holds '" + v + "', which is not a URL; write e.g. \"" + DEFAULT_URL + "\"");
        }
        if ( uri.getRawUserInfo() != null )
            throw options.error(URL, "must not hold credentials (the URL has user information); pass them through the environment with cdc:"
                                     + USER_ENV + " and cdc:" + PASSWORD_ENV);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ( !scheme.equals("redis") && !scheme.equals("rediss") || uri.getHost() == null )
            throw options.error(URL, "holds '" + v + "'; it needs the scheme redis:// (or rediss:// for TLS) and a host, e.g. \"" + DEFAULT_URL + "\"");
        if ( uri.getQuery() != null || uri.getFragment() != null )
            throw options.error(URL, "holds '" + v + "'; query parameters are not used: write redis://host:port or redis://host:port/db");
        String path = uri.getPath();
        if ( path != null && path.length() > 1 && !path.substring(1).matches("[0-9]{1,5}") )
            throw options.error(URL, "holds '" + v + "', whose path '" + path + "' is not a database number; write e.g. \"redis://host:6379/0\"");
        return uri;
    }

    private static void checkKey(SinkOptions options, String option, String key) {
        if ( key.isEmpty() )
            throw options.error(option, "is empty; give a Redis key such as \"fuseki-cdc:ds\"");
        if ( key.chars().anyMatch(c -> c < 32 || c == 127) )
            throw options.error(option, "holds control characters; give a Redis key such as \"fuseki-cdc:ds\"");
    }

}
