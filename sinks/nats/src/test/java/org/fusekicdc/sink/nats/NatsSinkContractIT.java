package org.fusekicdc.sink.nats;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StreamConfiguration;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.contract.SinkContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink contract against a private nats-server with JetStream, which the outage clause stops
 * and starts again on the same port and store; the wrong-credentials clause starts a second one
 * that wants a token.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class NatsSinkContractIT extends SinkContract {
    private static final String TOKEN_VARIABLE = "NATS_CONTRACT_TOKEN";
    private static final String WRONG_TOKEN = "wrong-token-" + NatsTesting.unique("t");

    @TempDir
    static Path serverDir;
    private static NatsTesting.PrivateServer server;

    private final String stream = NatsTesting.unique("FUSEKI_CDC_CONTRACT_");
    private final String subject = "fuseki-cdc-contract." + NatsTesting.unique("ds");
    private NatsTesting.PrivateServer tokenServer;

    @BeforeAll
    static void startServer() throws Exception {
        server = new NatsTesting.PrivateServer(serverDir);
        server.start();
    }

    @AfterAll
    static void stopServer() {
        if ( server != null )
            server.close();
    }

    @AfterEach
    void stopTokenServer() {
        if ( tokenServer != null )
            tokenServer.close();
    }

    /** A provider whose environment holds a token, which only the wrong-credentials clause names. */
    @Override
    protected SinkProvider provider() {
        return new NatsSinkProvider(Map.of(TOKEN_VARIABLE, WRONG_TOKEN)::get);
    }

    @Override
    protected Map<String, String> options() {
        Map<String, String> o = new HashMap<>();
        o.put("url", server.url());
        o.put("stream", stream);
        o.put("subject", subject);
        o.put("connectTimeoutSeconds", "2");
        o.put("publishTimeoutSeconds", "2");
        return o;
    }

    /** The subject's messages in stream order, the parts of a split patch put back together. */
    @Override
    protected List<Delivered> read() throws Exception {
        List<Delivered> out = new ArrayList<>();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int next = 0;
        try (Connection c = NatsTesting.connect(server.url())) {
            for ( NatsTesting.Stored m : NatsTesting.readSubject(c, stream, subject) ) {
                String contentType = m.headers().get(PatchMessages.CONTENT_TYPE);
                if ( !m.isPart() ) {
                    out.add(new Delivered(m.version(), TestSupport.parsePatch(contentType, m.data())));
                    continue;
                }
                int part = Integer.parseInt(m.headers().get(PatchMessages.PART));
                if ( part == 0 ) {
                    body.reset();
                    next = 0;
                }
                if ( part != next )
                    continue;
                body.writeBytes(m.data());
                next++;
                if ( next == Integer.parseInt(m.headers().get(PatchMessages.PARTS)) )
                    out.add(new Delivered(m.version(), TestSupport.parsePatch(contentType, body.toByteArray())));
            }
        }
        return out;
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
        tokenServer = new NatsTesting.PrivateServer(dir.resolve("token-server"), "--auth", "right-token-" + NatsTesting.unique("t"));
        tokenServer.start();
        Map<String, String> o = options();
        o.put("url", tokenServer.url());
        o.put("tokenEnv", TOKEN_VARIABLE);
        return new WrongCredentials(o, "cdc:tokenEnv", SinkState.PAUSED, WRONG_TOKEN);
    }

    @Override
    protected Oversize oversize(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxMessageBytes", Integer.toString(maxBytes));
        return new Oversize(OversizeRule.SPLIT, o);
    }

    @Override
    protected Map<String, String> refusingOptions(int maxBytes) {
        Map<String, String> o = options();
        o.put("maxMessageBytes", Integer.toString(2 * maxBytes));
        return o;
    }

    /** The stream's max_msg_size lowered below the sink's part size after start-up, as an operator might. */
    @Override
    protected void refuseMessagesOver(int maxBytes) throws Exception {
        try (Connection c = NatsTesting.connect(server.url())) {
            JetStreamManagement jsm = c.jetStreamManagement();
            StreamConfiguration sc = jsm.getStreamInfo(stream).getConfiguration();
            jsm.updateStream(StreamConfiguration.builder(sc).maximumMessageSize(maxBytes).build());
        }
    }
}
