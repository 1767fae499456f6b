package org.fusekicdc.sink.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.testing.ServerProcess;
import org.fusekicdc.core.testing.TestSupport;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/**
 * Test support: the Redis server the tests use ({@code REDIS_URL}, else redis://127.0.0.1:6379),
 * private redis-server processes, and checks of what a stream holds, read with the plain client
 * (binary-safe). Without a server the tests are skipped, loudly; under {@code CI=true} they fail.
 */
final class RedisTesting {
    static final String URL = System.getenv().getOrDefault("REDIS_URL", "redis://127.0.0.1:6379");

    private RedisTesting() {}

    private static String serverProblem;
    private static boolean serverChecked;

    /** Skip each test (or under CI fail it) when the test server cannot be reached. */
    static synchronized void requireServer() {
        if ( !serverChecked ) {
            serverChecked = true;
            try (Jedis j = connect(URL)) {
                j.ping();
            } catch (Exception ex) {
                serverProblem = "Redis server not usable at " + URL + " (" + ex + "). Start one (redis-server) or set REDIS_URL.";
            }
        }
        if ( serverProblem != null )
            TestSupport.skipOrFail(serverProblem);
    }

    static Jedis connect(String url) {
        URI u = URI.create(url);
        return new Jedis(new HostAndPort(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort()),
                         DefaultJedisClientConfig.builder().connectionTimeoutMillis(3000).socketTimeoutMillis(10_000).build());
    }

    /** A name no other test run uses. */
    static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    static OptionValues options(String sinkName, String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for ( int i = 0 ; i < keyValues.length ; i += 2 )
            m.put(keyValues[i], keyValues[i + 1]);
        return new OptionValues(sinkName, m);
    }

    /** One stream entry: its id and fields (values as bytes). */
    record Entry(String id, Map<String, byte[]> fields) {
        String field(String name) {
            byte[] v = fields.get(name);
            return v == null ? null : new String(v, StandardCharsets.UTF_8);
        }
        long version() {
            return Long.parseLong(field(RedisSink.F_VERSION));
        }
    }

    /** Every entry of a stream, in order (XRANGE - +), binary-safe. */
    static List<Entry> readStream(Jedis j, String key) {
        List<Entry> out = new ArrayList<>();
        Object reply = j.sendCommand(Protocol.Command.XRANGE, key.getBytes(StandardCharsets.UTF_8), "-".getBytes(), "+".getBytes());
        for ( Object e : (List<?>)reply ) {
            List<?> pair = (List<?>)e;
            Map<String, byte[]> fields = new LinkedHashMap<>();
            List<?> kv = (List<?>)pair.get(1);
            for ( int i = 0 ; i < kv.size() ; i += 2 )
                fields.put(new String((byte[])kv.get(i), StandardCharsets.UTF_8), (byte[])kv.get(i + 1));
            out.add(new Entry(new String((byte[])pair.get(0), StandardCharsets.UTF_8), fields));
        }
        return out;
    }

    /**
     * The entries hold versions 1..n, each once, in order, each naming the one before as prev;
     * each patch parses with Jena's reader of its format and its headers agree with the entry's
     * fields. Applies them in order to a fresh dataset and returns it.
     */
    static DatasetGraph checkAndReplay(List<Entry> entries, long expectedLast, String dataset, String contentType) {
        DatasetGraph replay = DatasetGraphFactory.createTxnMem();
        String prevId = null;
        long expected = 1;
        for ( Entry e : entries ) {
            assertEquals(expected, e.version(), "version of entry " + e.id() + " (each version once, in order)");
            assertEquals(dataset, e.field(RedisSink.F_DATASET), "dataset field");
            assertEquals(prevId, e.field(RedisSink.F_PREV), "prev of version " + expected);
            assertEquals(contentType, e.field(RedisSink.F_CONTENT_TYPE), "contentType field");
            String id = e.field(RedisSink.F_ID);
            RDFPatch patch = TestSupport.parsePatch(contentType, e.fields().get(RedisSink.F_PATCH));
            assertEquals("uuid:" + id, patch.getHeader(PatchHeaders.ID).getURI(), "patch id header of version " + expected);
            if ( prevId == null )
                assertNull(patch.getHeader(PatchHeaders.PREV), "version 1 has no prev");
            else
                assertEquals("uuid:" + prevId, patch.getHeader(PatchHeaders.PREV).getURI(), "patch prev header of version " + expected);
            RDFPatchOps.applyChange(replay, patch);
            prevId = id;
            expected++;
        }
        assertEquals(expectedLast, expected - 1, "last version in the stream");
        return replay;
    }
    /**
     * A private redis-server on a loopback port, which can be stopped and started again on the
     * same port and directory; with {@code persistent} it keeps its data in an append-only file
     * forced on every write, else a restart loses everything (as the machine's shared server would).
     */
    static final class PrivateServer extends ServerProcess {
        private final Path binary;
        private final Path dir;
        private final boolean persistent;
        private final List<String> extraArgs;

        PrivateServer(Path workDir, boolean persistent, String... extraArgs) throws IOException {
            this(workDir.resolve("redis-" + System.nanoTime()), persistent, List.of(extraArgs));
        }

        private PrivateServer(Path dir, boolean persistent, List<String> extraArgs) throws IOException {
            super("redis-server", dir.resolve("redis.log"));
            this.binary = TestSupport.serverBinary("redis-server", "/usr/bin", "the server-restart tests");
            this.dir = dir;
            this.persistent = persistent;
            this.extraArgs = extraArgs;
        }

        String url() {
            return "redis://127.0.0.1:" + port;
        }

        @Override
        protected List<String> command() {
            List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                                                       "--dir", dir.toString(), "--appendonly", persistent ? "yes" : "no"));
            if ( persistent )
                cmd.addAll(List.of("--appendfsync", "always"));
            cmd.addAll(extraArgs);
            return cmd;
        }

        @Override
        protected boolean ready() throws IOException {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[64];
                int n = s.getInputStream().read(buf);
                // +PONG, or -NOAUTH when a password is required: either way it serves.
                return n > 0 && !new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("-LOADING");
            }
        }
    }
}
