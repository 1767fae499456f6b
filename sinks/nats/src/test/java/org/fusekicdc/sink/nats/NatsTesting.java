package org.fusekicdc.sink.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamInfo;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.testing.ServerProcess;
import org.fusekicdc.core.testing.TestSupport;

/**
 * Test support: the NATS server the tests use ({@code NATS_URL}, else nats://127.0.0.1:4222),
 * private nats-server processes, and checks of what a subject holds, read with the plain NATS
 * client. Without a server the tests are skipped, loudly; under {@code CI=true} they fail.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
final class NatsTesting {
    static final String URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");

    private NatsTesting() {}

    /** Null when the server is usable, else why not; checked once per JVM. */
    private static String serverProblem;
    private static boolean serverChecked;

    /** Skip each test (or under CI fail it) when the test server cannot be reached or has no JetStream. */
    static synchronized void requireServer() {
        if ( !serverChecked ) {
            serverChecked = true;
            try (Connection c = connect(URL)) {
                c.jetStreamManagement().getAccountStatistics();
            } catch (Exception ex) {
                serverProblem = "NATS JetStream server not usable at " + URL + " (" + ex + "). Start one (nats-server -js) or set NATS_URL.";
            }
        }
        if ( serverProblem != null )
            TestSupport.skipOrFail(serverProblem);
    }

    static Connection connect(String url) throws IOException, InterruptedException {
        return Nats.connect(new Options.Builder().server(url).connectionTimeout(Duration.ofSeconds(3)).maxReconnects(-1)
                                                 .reconnectWait(Duration.ofMillis(200)).errorListener(new io.nats.client.ErrorListener() {}).build());
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

    static void deleteStream(Connection c, String stream) {
        try {
            c.jetStreamManagement().deleteStream(stream);
        } catch (IOException | JetStreamApiException ex) {
            // Not there, or the server is gone.
        }
    }

    /** One message as stored: stream sequence, headers, body. */
    record Stored(long seq, Map<String, String> headers, byte[] data) {
        long version() {
            return Long.parseLong(headers.get(PatchMessages.VERSION));
        }
        boolean isPart() {
            return headers.containsKey(PatchMessages.PARTS) && !"1".equals(headers.get(PatchMessages.PARTS));
        }
    }

    /** Every message on a subject, in stream order, read message by message with the management API. */
    static List<Stored> readSubject(Connection c, String stream, String subject) throws IOException, JetStreamApiException {
        JetStreamManagement jsm = c.jetStreamManagement();
        List<Stored> out = new ArrayList<>();
        StreamInfo info;
        try {
            info = jsm.getStreamInfo(stream);
        } catch (JetStreamApiException ex) {
            if ( ex.getApiErrorCode() == JetStreamErrors.STREAM_NOT_FOUND )
                return out;
            throw ex;
        }
        long last = info.getStreamState().getLastSequence();
        long seq = Math.max(1, info.getStreamState().getFirstSequence());
        while ( seq <= last ) {
            MessageInfo m;
            try {
                m = jsm.getNextMessage(stream, seq, subject);
            } catch (JetStreamApiException ex) {
                if ( ex.getApiErrorCode() == JetStreamErrors.NO_MESSAGE_FOUND )
                    break;
                throw ex;
            }
            out.add(new Stored(m.getSeq(), NatsHeaders.fromNats(m.getHeaders()), m.getData() == null ? new byte[0] : m.getData()));
            seq = m.getSeq() + 1;
        }
        return out;
    }

    /**
     * The subject holds versions 1..n, each once, in order, whole (no parts), each naming the
     * one before as prev; each body parses with Jena's patch reader of its format and its patch
     * headers agree with the message headers. Applies them in order to a fresh dataset and returns it.
     */
    static DatasetGraph checkAndReplay(List<Stored> messages, long expectedLast, String dataset) {
        DatasetGraph replay = DatasetGraphFactory.createTxnMem();
        String prevId = null;
        long expected = 1;
        for ( Stored m : messages ) {
            assertEquals(expected, m.version(), "version at stream sequence " + m.seq() + " (each version once, in order)");
            assertEquals(dataset, m.headers().get(PatchMessages.DATASET), "dataset header");
            assertEquals(prevId, m.headers().get(PatchMessages.PREV), "cdc-prev of version " + expected);
            String id = m.headers().get(PatchMessages.ID);
            assertNotNull(id, "cdc-id");
            assertEquals(id, m.headers().get(NatsHeaders.MSG_ID), "Nats-Msg-Id of a whole patch is its id");
            RDFPatch patch = TestSupport.parsePatch(m.headers().get(PatchMessages.CONTENT_TYPE), m.data());
            assertEquals("uuid:" + id, patch.getHeader(PatchHeaders.ID).getURI(), "patch id header of version " + expected);
            if ( prevId == null )
                assertNull(patch.getHeader(PatchHeaders.PREV), "version 1 has no prev");
            else
                assertEquals("uuid:" + prevId, patch.getHeader(PatchHeaders.PREV).getURI(), "patch prev header of version " + expected);
            assertEquals(String.valueOf(expected), patch.getHeader(PatchHeaders.VERSION).getLiteralLexicalForm());
            RDFPatchOps.applyChange(replay, patch);  // the patch's TX/TC make the transaction
            prevId = id;
            expected++;
        }
        assertEquals(expectedLast, expected - 1, "last version on the subject");
        return replay;
    }
    /** A private nats-server with JetStream on a loopback port, which can be stopped and started again on the same port and store. */
    static final class PrivateServer extends ServerProcess {
        final Path storeDir;
        private final Path binary;
        private final List<String> extraArgs;

        /** @param extraArgs further nats-server arguments, e.g. {@code --auth TOKEN} */
        PrivateServer(Path workDir, String... extraArgs) throws IOException {
            super("nats-server", workDir.resolve("nats-server.log"));
            this.extraArgs = List.of(extraArgs);
            this.binary = TestSupport.serverBinary("nats-server", "/usr/sbin", "the server-restart test");
            this.storeDir = workDir.resolve("nats-store");
            Files.createDirectories(storeDir);
        }

        String url() {
            return "nats://127.0.0.1:" + port;
        }

        @Override
        protected List<String> command() {
            List<String> cmd = new ArrayList<>(List.of(binary.toString(), "-js", "-a", "127.0.0.1", "-p", Integer.toString(port), "-sd", storeDir.toString()));
            cmd.addAll(extraArgs);
            return cmd;
        }

        @Override
        protected boolean ready() throws Exception {
            Options.Builder ob = new Options.Builder().server(url()).connectionTimeout(Duration.ofSeconds(2)).noReconnect()
                                                      .errorListener(new io.nats.client.ErrorListener() {});
            int auth = extraArgs.indexOf("--auth");
            if ( auth >= 0 )
                ob.token(extraArgs.get(auth + 1).toCharArray());
            try (Connection c = Nats.connect(ob.build())) {
                c.jetStreamManagement().getAccountStatistics();
                return true;
            }
        }
    }
}
