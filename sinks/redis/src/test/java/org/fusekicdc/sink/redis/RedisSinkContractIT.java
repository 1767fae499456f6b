package org.fusekicdc.sink.redis;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.contract.SinkContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The sink contract against a private redis-server that keeps its data (an append-only file
 * forced on each write), which the outage clause stops and starts again on the same port and
 * directory; the wrong-credentials clause starts a second one that wants a password. A patch
 * over {@code cdc:maxEntryBytes} is refused, one entry being one patch.
 */
class RedisSinkContractIT extends SinkContract {
    private static final String PASSWORD_VARIABLE = "REDIS_CONTRACT_PASSWORD";
    private static final String WRONG_PASSWORD = "wrong-password-" + RedisTesting.unique("p");

    @TempDir
    static Path serverDir;
    private static RedisTesting.PrivateServer server;

    private final String streamKey = RedisTesting.unique("fuseki-cdc-contract:");
    private RedisTesting.PrivateServer passwordServer;

    @BeforeAll
    static void startServer() throws Exception {
        server = new RedisTesting.PrivateServer(serverDir, true);
        server.start();
    }

    @AfterAll
    static void stopServer() {
        if ( server != null )
            server.close();
    }

    @AfterEach
    void stopPasswordServer() {
        if ( passwordServer != null )
            passwordServer.close();
    }

    /** A provider whose environment holds a password, which only the wrong-credentials clause names. */
    @Override
    protected SinkProvider provider() {
        return new RedisSinkProvider(Map.of(PASSWORD_VARIABLE, WRONG_PASSWORD)::get);
    }

    @Override
    protected Map<String, String> options() {
        Map<String, String> o = new HashMap<>();
        o.put("url", server.url());
        o.put("streamKey", streamKey);
        o.put("connectTimeoutSeconds", "1");
        o.put("commandTimeoutSeconds", "2");
        return o;
    }

    @Override
    protected List<Delivered> read() {
        try (Jedis j = RedisTesting.connect(server.url())) {
            return RedisTesting.readStream(j, streamKey).stream()
                               .map(e -> new Delivered(e.version(), TestSupport.parsePatch(e.field(RedisSink.F_CONTENT_TYPE),
                                                                                           e.fields().get(RedisSink.F_PATCH))))
                               .toList();
        }
    }

    @Override
    protected void stopDestination() throws Exception {
        server.stop();
    }

    @Override
    protected void startDestination() throws Exception {
        server.start();
    }

    @Override
    protected WrongCredentials wrongCredentials() throws Exception {
        passwordServer = new RedisTesting.PrivateServer(dir, false, "--requirepass", "right-password-" + RedisTesting.unique("p"));
        passwordServer.start();
        Map<String, String> o = options();
        o.put("url", passwordServer.url());
        o.put("passwordEnv", PASSWORD_VARIABLE);
        return new WrongCredentials(o, "cdc:passwordEnv", SinkState.PAUSED, WRONG_PASSWORD);
    }

    @Override
    protected Oversize oversize(int maxBytes) {
        return new Oversize(OversizeRule.REFUSE, refusingOptions(maxBytes));
    }

    @Override
    protected Map<String, String> refusingOptions(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxEntryBytes", Integer.toString(maxBytes));
        return o;
    }
}
