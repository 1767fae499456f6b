package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes acknowledged on the topic (cdc:acknowledgeWrites "topic"): when the sink cannot get a
 * write's patch onto its destination in time, the write gets 504 saying that it IS committed on
 * this server, with its version, and the data is there; a Kafka sink in this mode must be
 * transactional (what fences an old leader), or start-up stops. A broker nobody listens on
 * stands for a lost Kafka cluster, so this test needs no broker; the kill test
 * (dist/FailoverKillIT) covers the mode against a live one.
 */
class AcknowledgeWritesIT {
    @TempDir
    Path work;

    private String config(String sinkOptions) {
        return """
            PREFIX fuseki: <http://jena.apache.org/fuseki#>
            PREFIX cdc:    <https://w3id.org/fuseki-cdc#>
            PREFIX ja:     <http://jena.hpl.hp.com/2005/11/Assembler#>
            <#service> a fuseki:Service ; fuseki:name "ds" ;
                fuseki:endpoint [ fuseki:operation fuseki:query ] , [ fuseki:operation fuseki:update ; fuseki:name "update" ] ;
                fuseki:dataset <#captured> .
            <#captured> a cdc:CapturedDataset ;
                cdc:dataset [ a ja:MemoryDataset ] ;
                cdc:sink [ a cdc:KafkaSink ; cdc:name "replicas" ; cdc:bootstrapServers "127.0.0.1:9" ; cdc:topic "fuseki-cdc-ack" ;
                           cdc:sendTimeoutSeconds 1 ; cdc:retryMaxMillis 200 ; %s ] ;
                cdc:logDirectory "%s/changes" .
            """.formatted(sinkOptions, work);
    }

    @Test
    void aWriteTheTopicDidNotTakeInTimeGets504NamingTheSinkAndIsCommittedHere() {
        try (CdcFuseki f = CdcFuseki.start(work, config("cdc:transactional true ; cdc:acknowledgeWrites \"topic\" ; cdc:acknowledgeTimeoutMillis 300"), b -> {})) {
            HttpResponse<String> r = f.update("ds", "INSERT DATA { <http://ex/s> <http://ex/p> 1 }");
            assertEquals(504, r.statusCode(), r.body());
            assertEquals("1", r.headers().firstValue("X-CDC-Version").orElse(null), "the response names the version committed here");
            assertTrue(r.body().contains("version 1 IS committed on this server") && r.body().contains("sink 'replicas'")
                       && r.body().contains("300 ms"), r.body());
            HttpResponse<String> q = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds?query=" + URLEncoder.encode("ASK { <http://ex/s> ?p ?o }", StandardCharsets.UTF_8))))
                                            .header("Accept", "application/sparql-results+json"));
            assertTrue(q.body().contains("true"), "the write is committed locally: " + q.body());
            assertEquals(1, f.dataset("ds").changeLog().publishedVersion());
        }
    }

    @Test
    void aWriteIsAcknowledgedAtOnceInLocalMode() {
        try (CdcFuseki f = CdcFuseki.start(work, config("cdc:transactional true"), b -> {})) {
            HttpResponse<String> r = f.update("ds", "INSERT DATA { <http://ex/s> <http://ex/p> 1 }");
            assertEquals(204, r.statusCode(), r.body());
        }
    }

    @Test
    void aKafkaSinkAcknowledgingOnTheTopicMustBeTransactional() {
        RuntimeException ex = assertThrows(RuntimeException.class, () -> CdcFuseki.start(work, config("cdc:acknowledgeWrites \"topic\""), b -> {}).close());
        String message = String.valueOf(ex.getMessage()) + (ex.getCause() == null ? "" : " " + ex.getCause().getMessage());
        assertTrue(message.contains("transactional") && message.contains("acknowledgeWrites"), message);
    }
}
