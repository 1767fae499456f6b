package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamConfiguration;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes acknowledged on the topic (cdc:acknowledgeWrites "topic"), through HTTP, on Kafka and on
 * NATS JetStream. A write is answered only once its patch is on the destination; when the sink
 * cannot get it there in time (the broker unreachable, the stream refusing it), the write gets
 * 504 naming the sink and the cause and saying that it IS committed on this server, with its
 * version, and the data is there. A Kafka sink in this mode must be transactional (what fences
 * an old leader), or start-up stops. A broker address nobody listens on stands for a lost
 * cluster; the JetStream cases that need a server use NATS_URL (default 127.0.0.1:4222). The
 * kill tests (dist/KafkaFailoverKillIT, dist/JetStreamFailoverKillIT) cover the mode through a
 * failover.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class AcknowledgeWritesIT {
    private static final String NATS_URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");

    @TempDir
    Path work;

    private String config(String sink) {
        return """
            PREFIX fuseki: <http://jena.apache.org/fuseki#>
            PREFIX cdc:    <https://w3id.org/fuseki-cdc#>
            PREFIX ja:     <http://jena.hpl.hp.com/2005/11/Assembler#>
            <#service> a fuseki:Service ; fuseki:name "ds" ;
                fuseki:endpoint [ fuseki:operation fuseki:query ] , [ fuseki:operation fuseki:update ; fuseki:name "update" ] ;
                fuseki:dataset <#captured> .
            <#captured> a cdc:CapturedDataset ;
                cdc:dataset [ a ja:MemoryDataset ] ;
                cdc:sink %s ;
                cdc:logDirectory "%s/changes" .
            """.formatted(sink, work);
    }

    private static String kafkaSink(String options) {
        return "[ a cdc:KafkaSink ; cdc:name \"replicas\" ; cdc:bootstrapServers \"127.0.0.1:9\" ; cdc:topic \"fuseki-cdc-ack\" ;"
               + " cdc:sendTimeoutSeconds 1 ; cdc:retryMaxMillis 200 ; " + options + " ]";
    }

    private static String natsSink(String url, String stream, String subject, String options) {
        return "[ a cdc:NatsSink ; cdc:name \"replicas\" ; cdc:url \"" + url + "\" ; cdc:stream \"" + stream + "\" ; cdc:subject \"" + subject + "\" ;"
               + " cdc:connectTimeoutSeconds 1 ; cdc:publishTimeoutSeconds 2 ; cdc:retryMaxMillis 200 ; cdc:acknowledgeWrites \"topic\" ; " + options + " ]";
    }

    // ---- Kafka

    @Test
    void aWriteTheTopicDidNotTakeInTimeGets504NamingTheSinkAndIsCommittedHere() {
        try (CdcFuseki f = CdcFuseki.start(work, config(kafkaSink("cdc:transactional true ; cdc:acknowledgeWrites \"topic\" ; cdc:acknowledgeTimeoutMillis 300")),
                                           b -> {})) {
            HttpResponse<String> r = f.update("ds", "INSERT DATA { <http://ex/s> <http://ex/p> 1 }");
            assertCommittedHereOnly(f, r, 300);
        }
    }

    @Test
    void aWriteIsAcknowledgedAtOnceInLocalMode() {
        try (CdcFuseki f = CdcFuseki.start(work, config(kafkaSink("cdc:transactional true")), b -> {})) {
            HttpResponse<String> r = f.update("ds", "INSERT DATA { <http://ex/s> <http://ex/p> 1 }");
            assertEquals(204, r.statusCode(), r.body());
        }
    }

    @Test
    void aKafkaSinkAcknowledgingOnTheTopicMustBeTransactional() {
        RuntimeException ex = assertThrows(RuntimeException.class,
                                           () -> CdcFuseki.start(work, config(kafkaSink("cdc:acknowledgeWrites \"topic\"")), b -> {}).close());
        String message = String.valueOf(ex.getMessage()) + (ex.getCause() == null ? "" : " " + ex.getCause().getMessage());
        assertTrue(message.contains("transactional") && message.contains("acknowledgeWrites"), message);
    }

    // ---- NATS JetStream

    @Test
    void aWriteOnJetStreamIsAnsweredOnlyOnceItsPatchIsOnTheStream() throws Exception {
        String id = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String stream = "FUSEKI_CDC_ACK_" + id;
        String subject = "fuseki-cdc-ack." + id;
        try (Connection nats = natsOrSkip()) {
            try (CdcFuseki f = CdcFuseki.start(work, config(natsSink(NATS_URL, stream, subject, "cdc:acknowledgeTimeoutMillis 10000")), b -> {})) {
                for ( int i = 1 ; i <= 20 ; i++ ) {
                    HttpResponse<String> r = f.update("ds", "INSERT DATA { <http://ex/s> <http://ex/p> " + i + " }");
                    assertEquals(204, r.statusCode(), r.body());
                    String version = r.headers().firstValue("X-CDC-Version").orElseThrow();
                    // Read as soon as the answer is in: the stream must already end with this write's patch.
                    MessageInfo last = nats.jetStreamManagement().getLastMessage(stream, subject);
                    assertEquals(version, last.getHeaders().getFirst(PatchMessages.VERSION), "write " + i + " was answered before its patch was on the stream");
                }
            } finally {
                deleteStream(nats, stream);
            }
        }
    }

    @Test
    void aWriteWhileNatsIsUnreachableGets504NamingTheCauseAndIsCommittedHere() throws IOException {
        String url = "nats://127.0.0.1:" + unusedPort();
        try (CdcFuseki f = CdcFuseki.start(work, config(natsSink(url, "FUSEKI_CDC_ACK", "fuseki-cdc-ack.ds", "cdc:acknowledgeTimeoutMillis 1000")), b -> {})) {
            HttpResponse<String> r = f.update("ds", "INSERT DATA { <http://ex/s> <http://ex/p> 1 }");
            assertCommittedHereOnly(f, r, 1000);
            assertTrue(r.body().contains("cannot connect to NATS at [" + url + "]") || r.body().contains("cannot connect to NATS at " + url),
                       "the answer names the cause: " + r.body());
        }
    }

    @Test
    void aWriteTheStreamRefusesGets504NamingTheStreamsRefusal() throws Exception {
        String id = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String stream = "FUSEKI_CDC_ACK_" + id;
        String subject = "fuseki-cdc-ack." + id;
        try (Connection nats = natsOrSkip()) {
            // A stream that takes one message and then refuses new ones (discard new): full.
            nats.jetStreamManagement().addStream(StreamConfiguration.builder().name(stream).subjects(subject).maxMessages(1)
                                                                    .discardPolicy(DiscardPolicy.New).build());
            try (CdcFuseki f = CdcFuseki.start(work, config(natsSink(NATS_URL, stream, subject, "cdc:acknowledgeTimeoutMillis 1000")), b -> {})) {
                assertEquals(204, f.update("ds", "INSERT DATA { <http://ex/s> <http://ex/p> 0 }").statusCode());
                HttpResponse<String> r = f.update("ds", "INSERT DATA { <http://ex/s> <http://ex/p> 1 }");
                assertEquals(504, r.statusCode(), r.body());
                assertEquals("2", r.headers().firstValue("X-CDC-Version").orElse(null), "the response names the version committed here");
                assertTrue(r.body().contains("version 2 IS committed on this server") && r.body().contains("sink 'replicas'")
                           && r.body().contains("stream " + stream) && r.body().contains("maximum messages"), "the answer names the stream's refusal: " + r.body());
            } finally {
                deleteStream(nats, stream);
            }
        }
    }

    // ---- Checks and helpers

    /** A 504 naming the sink, the time-out and version 1 as committed here; the data is there. */
    private static void assertCommittedHereOnly(CdcFuseki f, HttpResponse<String> r, int timeoutMillis) {
        assertEquals(504, r.statusCode(), r.body());
        assertEquals("1", r.headers().firstValue("X-CDC-Version").orElse(null), "the response names the version committed here");
        assertTrue(r.body().contains("version 1 IS committed on this server") && r.body().contains("sink 'replicas'")
                   && r.body().contains(timeoutMillis + " ms"), r.body());
        HttpResponse<String> q = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds?query=" + URLEncoder.encode("ASK { <http://ex/s> ?p ?o }", StandardCharsets.UTF_8))))
                                        .header("Accept", "application/sparql-results+json"));
        assertTrue(q.body().contains("true"), "the write is committed locally: " + q.body());
        assertEquals(1, f.dataset("ds").changeLog().publishedVersion());
    }

    private static Connection natsOrSkip() throws InterruptedException {
        try {
            Connection c = Nats.connect(new Options.Builder().server(NATS_URL).connectionTimeout(Duration.ofSeconds(3))
                                                             .errorListener(new io.nats.client.ErrorListener() {}).build());
            c.jetStreamManagement().getAccountStatistics();
            return c;
        } catch (IOException | JetStreamApiException ex) {
            TestSupport.skipOrFail("NATS JetStream server not usable at " + NATS_URL + " (" + ex + "). Start one (nats-server -js) or set NATS_URL.");
            throw new AssertionError(ex);
        }
    }

    private static void deleteStream(Connection nats, String stream) {
        try {
            nats.jetStreamManagement().deleteStream(stream);
        } catch (IOException | JetStreamApiException ex) {
            // Not created, or the server is gone.
        }
    }

    /** A loopback port nothing listens on (bound, then released). */
    private static int unusedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
