package org.fusekicdc.sink.redis;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Appends a dataset's patches to one Redis stream, one entry per patch, in version order, each
 * exactly once.
 * <p>
 * Each entry is written by a server-side Lua script ({@link #APPEND}) that also records the
 * version and patch id in a hash (the version key). Redis runs a script atomically, so the
 * entry and the version are both written or neither is; and the script writes only if the
 * version key still says what this sink last wrote, so a retry of a script whose reply was lost,
 * or a second writer, cannot duplicate or interleave. {@link #open} reads the version key and
 * returns the version there: delivery resumes after it, whatever the sink's cursor says.
 * <p>
 * When the sink is behind, the runner hands it up to {@value #MAX_BATCH} patches at once; their
 * scripts go in one pipeline (up to {@value #PIPELINE_BYTES} bytes of entries per round trip),
 * each expecting the version the script before it writes, so Redis still appends them in order
 * and once: a script that fails leaves every later one refusing.
 * <p>
 * Failures: Redis down, a lost connection, a timeout, out of memory, a read-only replica, missing
 * ACL permissions, a version key that moved on: transient (the runner reopens the sink, which
 * re-reads the version key). Wrong credentials, or a key of another type: permanent for the sink
 * as a whole. A patch over {@code cdc:maxEntryBytes}: permanent for the patch.
 */
public final class RedisSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSink.class);
    /** Patches per call when the sink is behind. */
    static final int MAX_BATCH = 500;
    /** Entry bytes per pipelined round trip, at most (one larger entry goes alone). */
    static final int PIPELINE_BYTES = 4 * 1024 * 1024;

    /** Entry fields. */
    public static final String F_VERSION = "version";
    public static final String F_ID = "id";
    public static final String F_PREV = "prev";
    public static final String F_DATASET = "dataset";
    public static final String F_TIMESTAMP = "timestamp";
    public static final String F_CONTENT_TYPE = "contentType";
    public static final String F_PATCH = "patch";

    /**
     * KEYS: stream, version key. ARGV: expected version, expected id ('' for none), version, id,
     * maxLen ('0' for none), then the entry's field/value pairs. Returns {1, version, entry id}
     * when written; {0, version, id} when this very patch is there already (a retry whose reply
     * was lost); {-1, version, id} with what the version key holds when it is not what this sink
     * expected.
     */
    static final String APPEND = """
        local cur = redis.call('HMGET', KEYS[2], 'version', 'id')
        local v = 0
        if cur[1] then v = tonumber(cur[1]) end
        local id = ''
        if cur[2] then id = cur[2] end
        if v == tonumber(ARGV[3]) and id == ARGV[4] then return {0, v, id} end
        if v ~= tonumber(ARGV[1]) or id ~= ARGV[2] then return {-1, v, id} end
        local add = {'XADD', KEYS[1]}
        if ARGV[5] ~= '0' then
          add[#add + 1] = 'MAXLEN'; add[#add + 1] = '~'; add[#add + 1] = ARGV[5]
        end
        add[#add + 1] = '*'
        for i = 6, #ARGV do add[#add + 1] = ARGV[i] end
        local entry = redis.call(unpack(add))
        redis.call('HSET', KEYS[2], 'version', ARGV[3], 'id', ARGV[4], 'entry', entry)
        return {1, tonumber(ARGV[3]), entry}
        """;

    private final RedisSinkConfig config;

    private Jedis jedis;
    private byte[] scriptSha;
    /** The last version in the stream as this sink knows it (set by open, advanced by each write); -1 when closed. */
    private long lastVersion = -1;
    /** That version's patch id, or "" for none. */
    private String lastId = "";

    public RedisSink(RedisSinkConfig config, Path workDir) {
        this.config = config;
        LOG.info("Dataset '{}': Redis sink '{}': {}", config.dataset(), config.sinkName(), config.describe());
    }

    public RedisSinkConfig config() {
        return config;
    }

    @Override
    public String name() {
        return config.sinkName();
    }

    @Override
    public long open() throws SinkException {
        close();
        try {
            DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis((int)config.connectTimeout().toMillis())
                .socketTimeoutMillis((int)config.commandTimeout().toMillis())
                .database(config.database())
                .ssl(config.tls())
                .clientName("fuseki-cdc-" + config.dataset().replaceAll("[^A-Za-z0-9_-]", "_") + "-" + name().replaceAll("[^A-Za-z0-9_-]", "_"));
            if ( config.password() != null )
                b.user(config.user()).password(config.password());
            int port = config.url().getPort() < 0 ? 6379 : config.url().getPort();
            jedis = new Jedis(new HostAndPort(config.url().getHost(), port), b.build());
            jedis.ping();
        } catch (JedisAccessControlException ex) {
            close();
            throw SinkException.permanentSinkFailure("Redis at " + config.url() + " refused the credentials (" + config.credentialsSource() + "): "
                                                     + ex.getMessage() + ". Fix cdc:" + RedisSinkConfig.USER_ENV.name() + "/cdc:" + RedisSinkConfig.PASSWORD_ENV.name()
                                                     + " (or the variables they name), then resume the sink", ex);
        } catch (JedisConnectionException ex) {
            close();
            throw SinkException.transientFailure("cannot connect to Redis at " + config.url() + ": " + rootMessage(ex)
                                                 + ". Check that the server runs and cdc:" + RedisSinkConfig.URL.name(), ex);
        } catch (JedisException ex) {
            close();
            throw failure("connecting to " + config.url(), ex);
        }
        try {
            checkType(config.stream(), "stream", RedisSinkConfig.STREAM_KEY.name());
            checkType(config.versionKey(), "hash", RedisSinkConfig.VERSION_KEY.name());
            scriptSha = jedis.scriptLoad(APPEND.getBytes(StandardCharsets.UTF_8));
            List<String> state = jedis.hmget(config.versionKey(), F_VERSION, F_ID);
            StreamEntry last = lastEntry();
            if ( state.get(0) == null ) {
                if ( last == null ) {
                    lastVersion = 0;
                    lastId = "";
                } else {
                    // The version key was removed (or evicted) but the stream was not: take the stream's word, and write it back.
                    lastVersion = entryVersion(last);
                    lastId = last.getFields().get(F_ID);
                    jedis.hset(config.versionKey(), Map.of(F_VERSION, Long.toString(lastVersion), F_ID, lastId, "entry", last.getID().toString()));
                    LOG.warn("Dataset '{}': Redis sink '{}': version key {} was missing but stream {} ends with version {}; restored the version key from it",
                             config.dataset(), name(), config.versionKey(), config.stream(), lastVersion);
                }
            } else {
                lastVersion = Long.parseLong(state.get(0));
                lastId = state.get(1) == null ? "" : state.get(1);
                if ( last == null && lastVersion > 0 )
                    LOG.warn("Dataset '{}': Redis sink '{}': version key {} says version {} but stream {} is empty or gone (deleted?);"
                             + " continuing after version {}. Delete {} too to have the stream filled again from the change log",
                             config.dataset(), name(), config.versionKey(), lastVersion, config.stream(), lastVersion, config.versionKey());
            }
            warnOnEviction();
            LOG.info("Dataset '{}': Redis sink '{}' connected to {}; stream {} holds up to version {}", config.dataset(), name(), config.url(),
                     config.stream(), lastVersion);
            return lastVersion;
        } catch (SinkException ex) {
            close();
            throw ex;
        } catch (NumberFormatException ex) {
            close();
            throw SinkException.permanentSinkFailure("version key " + config.versionKey() + " holds a version that is not a number (" + ex.getMessage()
                                                     + "): it was not written by fuseki-cdc. Choose another cdc:" + RedisSinkConfig.VERSION_KEY.name(), ex);
        } catch (JedisException ex) {
            close();
            throw failure("setting up stream " + config.stream(), ex);
        }
    }

    private void checkType(String key, String expected, String option) throws SinkException {
        String type = jedis.type(key);
        if ( !type.equals("none") && !type.equals(expected) )
            throw SinkException.permanentSinkFailure("key " + key + " holds a " + type + ", not a " + expected
                                                     + ": it is used by something else. Choose another cdc:" + option + ", or delete the key", null);
    }

    private StreamEntry lastEntry() throws SinkException {
        List<StreamEntry> entries = jedis.xrevrange(config.stream(), (StreamEntryID)null, (StreamEntryID)null, 1);
        if ( entries == null || entries.isEmpty() )
            return null;
        StreamEntry e = entries.get(0);
        Map<String, String> f = e.getFields();
        if ( !f.containsKey(F_VERSION) || !f.containsKey(F_ID) || !config.dataset().equals(f.get(F_DATASET)) )
            throw SinkException.permanentSinkFailure("stream " + config.stream() + " ends with entry " + e.getID()
                                                     + ", which is not a patch of dataset " + config.dataset() + " (fields " + f.keySet()
                                                     + "): the stream is used by something else. Choose another cdc:" + RedisSinkConfig.STREAM_KEY.name(), null);
        return e;
    }

    private long entryVersion(StreamEntry e) throws SinkException {
        try {
            return Long.parseLong(e.getFields().get(F_VERSION));
        } catch (NumberFormatException ex) {
            throw SinkException.permanentSinkFailure("stream " + config.stream() + " ends with entry " + e.getID() + " whose version is not a number"
                                                     + ": the stream is used by something else. Choose another cdc:" + RedisSinkConfig.STREAM_KEY.name(), ex);
        }
    }

    /** An eviction policy that may remove keys without an expiry can remove the stream or the version key. */
    private void warnOnEviction() {
        try {
            String policy = jedis.configGet("maxmemory-policy").getOrDefault("maxmemory-policy", "");
            if ( policy.startsWith("allkeys") )
                LOG.warn("Dataset '{}': Redis sink '{}': the server's maxmemory-policy is {}: under memory pressure Redis may evict stream {} or version key {},"
                         + " and the stream then loses patches or gets them again. Use noeviction or a volatile-* policy, or a server of its own",
                         config.dataset(), name(), policy, config.stream(), config.versionKey());
        } catch (JedisException ex) {
            // CONFIG may be disabled or not permitted: the check is advice only.
        }
    }

    @Override
    public int maxBatch() {
        return MAX_BATCH;
    }

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        deliver(List.of(patch));
    }

    /**
     * Append the patches in pipelined round trips. The entries are read first, so a patch over
     * {@code cdc:maxEntryBytes} fails the call before anything is sent (the runner then delivers
     * one patch at a time to find it).
     */
    @Override
    public void deliver(List<PatchRecord> patches) throws SinkException {
        if ( jedis == null || lastVersion < 0 )
            throw SinkException.transientFailure("the sink is not connected", null);
        List<PatchRecord> todo = new ArrayList<>();
        List<List<byte[]>> scripts = new ArrayList<>();
        long expected = lastVersion;
        String expectedId = lastId;
        int bytes = 0;
        for ( PatchRecord patch : patches ) {
            if ( patch.version() <= expected ) {
                LOG.debug("Dataset '{}': Redis sink '{}': stream {} already holds version {}", config.dataset(), name(), config.stream(), patch.version());
                continue;
            }
            byte[] body = body(patch);
            if ( !todo.isEmpty() && bytes + body.length > PIPELINE_BYTES ) {
                append(todo, scripts);
                todo.clear();
                scripts.clear();
                bytes = 0;
            }
            scripts.add(args(patch, body, expected, expectedId));
            todo.add(patch);
            bytes += body.length;
            expected = patch.version();
            expectedId = patch.meta().id().toString();
        }
        if ( !todo.isEmpty() )
            append(todo, scripts);
    }

    /** Run the scripts in one pipeline and check their replies in order. */
    private void append(List<PatchRecord> todo, List<List<byte[]>> scripts) throws SinkException {
        List<byte[]> keys = List.of(bytes(config.stream()), bytes(config.versionKey()));
        String what = todo.size() == 1 ? "version " + todo.get(0).version() + " to stream " + config.stream()
                                       : "versions " + todo.get(0).version() + " to " + todo.get(todo.size() - 1).version() + " to stream " + config.stream();
        List<Response<Object>> replies = new ArrayList<>(scripts.size());
        try {
            if ( scripts.size() == 1 ) {
                Object reply = jedis.evalsha(scriptSha, keys, scripts.get(0));
                accepted(todo.get(0), reply);
                return;
            }
            Pipeline pipeline = jedis.pipelined();
            for ( List<byte[]> args : scripts )
                replies.add(pipeline.evalsha(scriptSha, keys, args));
            pipeline.sync();
        } catch (JedisException ex) {
            throw failure(what, ex);
        }
        for ( int i = 0 ; i < replies.size() ; i++ ) {
            Object reply;
            try {
                reply = replies.get(i).get();
            } catch (JedisException ex) {
                throw failure("version " + todo.get(i).version() + " to stream " + config.stream(), ex);
            }
            accepted(todo.get(i), reply);
        }
    }

    private List<byte[]> args(PatchRecord patch, byte[] body, long expected, String expectedId) {
        long version = patch.version();
        String id = patch.meta().id().toString();
        List<byte[]> args = new ArrayList<>(20);
        arg(args, Long.toString(expected));
        arg(args, expectedId);
        arg(args, Long.toString(version));
        arg(args, id);
        arg(args, Long.toString(config.maxLen()));
        arg(args, F_VERSION);
        arg(args, Long.toString(version));
        arg(args, F_ID);
        arg(args, id);
        UUID prev = patch.meta().prevId();
        if ( prev != null ) {
            arg(args, F_PREV);
            arg(args, prev.toString());
        }
        arg(args, F_DATASET);
        arg(args, patch.dataset());
        arg(args, F_TIMESTAMP);
        arg(args, Instant.ofEpochMilli(patch.meta().timestamp()).toString());
        arg(args, F_CONTENT_TYPE);
        arg(args, config.contentType());
        arg(args, F_PATCH);
        args.add(body);
        return args;
    }

    /** A script's reply: the patch is in the stream now, or the version key says another writer moved it on. */
    private void accepted(PatchRecord patch, Object reply) throws SinkException {
        long version = patch.version();
        List<?> r = (List<?>)reply;
        long outcome = (Long)r.get(0);
        if ( outcome == -1 ) {
            long there = (Long)r.get(1);
            String thereId = new String((byte[])r.get(2), StandardCharsets.UTF_8);
            throw SinkException.transientFailure("version key " + config.versionKey() + " says the stream ends with version " + there
                                                 + (thereId.isEmpty() ? "" : " (patch " + thereId + ")") + ", but this sink wrote version " + lastVersion
                                                 + (lastId.isEmpty() ? "" : " (patch " + lastId + ")")
                                                 + " last: another writer uses the stream, or the keys were changed. Re-reading the stream."
                                                 + " If it persists, give each dataset and server a cdc:" + RedisSinkConfig.STREAM_KEY.name() + " of its own", null);
        }
        if ( outcome == 0 )
            LOG.debug("Dataset '{}': Redis sink '{}': version {} was already in stream {}", config.dataset(), name(), version, config.stream());
        lastVersion = version;
        lastId = patch.meta().id().toString();
    }

    private byte[] body(PatchRecord patch) throws SinkException {
        long version = patch.version();
        int max = config.maxEntryBytes();
        MessageFormat format = config.format();
        if ( format.isLogText() && patch.record().payloadLength() > max )
            throw tooLarge(version, Long.toString(patch.record().payloadLength()));
        try {
            BoundedBytes out = new BoundedBytes(max);
            try {
                format.write(patch, out);
            } catch (IOException | RuntimeException ex) {
                if ( out.overflowed )
                    throw tooLarge(version, "more than " + max);
                throw ex;
            }
            return out.toByteArray();
        } catch (IOException ex) {
            throw SinkException.transientFailure("cannot read patch version " + version + " from the change log: " + ex, ex);
        }
    }

    private SinkException tooLarge(long version, String size) {
        return SinkException.permanentFailure("patch version " + version + " is " + size + " bytes in " + config.contentType() + ", over cdc:"
                                              + RedisSinkConfig.MAX_ENTRY_BYTES.name() + " (" + config.maxEntryBytes() + "). Raise cdc:"
                                              + RedisSinkConfig.MAX_ENTRY_BYTES.name() + " (Redis takes up to its proto-max-bulk-len, 512 MB by default)"
                                              + " or configure a dead-letter directory for such patches", null);
    }

    private SinkException failure(String what, JedisException ex) {
        String msg = String.valueOf(ex.getMessage());
        String upper = msg.toUpperCase(Locale.ROOT);
        if ( ex instanceof JedisConnectionException )
            return SinkException.transientFailure(what + ": the connection to Redis at " + config.url() + " failed (" + rootMessage(ex)
                                                  + "); reconnecting (an entry written meanwhile is recognised, not written twice)", ex);
        if ( ex instanceof JedisAccessControlException || upper.startsWith("NOAUTH") || upper.startsWith("WRONGPASS") )
            return SinkException.permanentSinkFailure(what + ": Redis at " + config.url() + " refused the credentials (" + config.credentialsSource()
                                                      + "): " + msg + ". Fix cdc:" + RedisSinkConfig.PASSWORD_ENV.name() + " (or the variable it names), then resume the sink", ex);
        if ( upper.startsWith("NOPERM") )
            return SinkException.transientFailure(what + ": Redis refused a command (" + msg + "). Grant the sink's user +xadd +hset +hmget +xrevrange"
                                                  + " +type +evalsha +script|load and access to keys " + config.stream() + " and " + config.versionKey()
                                                  + "; retrying until then", ex);
        if ( upper.startsWith("WRONGTYPE") )
            return SinkException.permanentSinkFailure(what + ": " + msg + ". Key " + config.stream() + " or " + config.versionKey()
                                                      + " holds another kind of value; choose other keys, or delete them", ex);
        if ( upper.startsWith("MOVED") || upper.startsWith("ASK") || upper.startsWith("CLUSTERDOWN") || upper.startsWith("CROSSSLOT") )
            return SinkException.permanentSinkFailure(what + ": " + config.url() + " is a Redis Cluster node (" + msg
                                                      + "); the sink needs a standalone server (or the current primary of a replicated one)", ex);
        if ( upper.startsWith("OOM") )
            return SinkException.transientFailure(what + ": Redis is out of memory (" + msg + "). Raise maxmemory, trim the stream (cdc:"
                                                  + RedisSinkConfig.MAX_LEN.name() + ") or let consumers delete what they have read; retrying", ex);
        if ( upper.startsWith("READONLY") )
            return SinkException.transientFailure(what + ": " + config.url() + " is a read-only replica (" + msg
                                                  + "). Point cdc:" + RedisSinkConfig.URL.name() + " at the primary; retrying", ex);
        if ( upper.contains("BULK LENGTH") || upper.contains("PROTO-MAX-BULK-LEN") )
            return SinkException.permanentFailure(what + ": Redis refused the entry as too large (" + msg + "). Lower cdc:"
                                                  + RedisSinkConfig.MAX_ENTRY_BYTES.name() + " below the server's proto-max-bulk-len, or raise that", ex);
        if ( ex instanceof JedisDataException )
            return SinkException.transientFailure(what + ": Redis answered " + msg + "; retrying", ex);
        return SinkException.transientFailure(what + " failed: " + ex + "; retrying", ex);
    }

    private static String rootMessage(Throwable ex) {
        Throwable t = ex;
        while ( t.getCause() != null && t.getCause() != t )
            t = t.getCause();
        return t == ex ? String.valueOf(ex.getMessage()) : ex.getMessage() + ": " + t;
    }

    private static void arg(List<byte[]> args, String s) {
        args.add(bytes(s));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        Jedis j = jedis;
        jedis = null;
        lastVersion = -1;
        if ( j == null )
            return;
        try {
            j.close();
        } catch (RuntimeException ex) {
            LOG.debug("closing Redis connection: {}", ex.toString());
        }
    }

    /** A byte buffer that refuses to grow past a bound. */
    private static final class BoundedBytes extends ByteArrayOutputStream {
        private final int max;
        boolean overflowed;

        BoundedBytes(int max) {
            this.max = max;
        }

        @Override
        public synchronized void write(int b) {
            if ( count + 1 > max ) {
                overflowed = true;
                throw new IllegalStateException("patch over " + max + " bytes");
            }
            super.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            if ( count + len > max ) {
                overflowed = true;
                throw new IllegalStateException("patch over " + max + " bytes");
            }
            super.write(b, off, len);
        }
    }
}
