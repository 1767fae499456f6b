package org.fusekicdc.streams.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.testing.SinkDocChecks;
import org.fusekicdc.rsp.ContinuousQuery;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamsAppConfigTest {
    @TempDir
    Path dir;
    private Path file;

    @BeforeEach
    void files() throws IOException {
        Files.writeString(dir.resolve("count.rq"), """
            PREFIX cdc: <https://w3id.org/fuseki-cdc#>
            PREFIX ex: <http://example.org/>
            REGISTER RSTREAM <urn:q:count> AS SELECT (COUNT(*) AS ?n)
            FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT10S]
            WHERE { WINDOW <urn:w> { ?s ex:p ?o } }
            """);
        file = dir.resolve("app.properties");
        Files.writeString(file, """
            bootstrap.servers=broker:9092
            fusekicdc.change.topic=fuseki-cdc.ds
            fusekicdc.step.topic=steps
            fusekicdc.queries=count.rq
            num.stream.threads=2
            """);
    }

    @Test
    void aFileAloneGivesARunnableConfigurationWithExactlyOnceByDefault() {
        StreamsAppConfig c = StreamsAppConfig.load(file, Map.of());
        assertEquals("fuseki-cdc.ds", c.changeTopic());
        assertEquals(List.of("urn:q:count"), c.queries().stream().map(ContinuousQuery::name).toList());
        assertEquals("exactly_once_v2", c.streams().getProperty("processing.guarantee"));
        assertEquals("fuseki-cdc-queries", c.streams().getProperty("application.id"));
        assertEquals("2", c.streams().getProperty("num.stream.threads"), "other keys go to Kafka Streams as they are");
        assertTrue(c.streams().stringPropertyNames().stream().noneMatch(k -> k.startsWith("fusekicdc.")));
    }

    @Test
    void environmentVariablesOverrideTheFile() {
        StreamsAppConfig c = StreamsAppConfig.load(file, Map.of("FUSEKICDC_STREAMS_BOOTSTRAP_SERVERS", "other:9093",
                                                                "FUSEKICDC_STREAMS_FUSEKICDC_STEP_TOPIC", "elsewhere",
                                                                "UNRELATED", "x"));
        assertEquals("other:9093", c.streams().getProperty("bootstrap.servers"));
        assertEquals("elsewhere", c.stepTopic());
    }

    @Test
    void theEnvironmentAloneIsEnough() {
        StreamsAppConfig c = StreamsAppConfig.load(null, Map.of("FUSEKICDC_STREAMS_BOOTSTRAP_SERVERS", "b:1",
                                                                "FUSEKICDC_STREAMS_FUSEKICDC_CHANGE_TOPIC", "c",
                                                                "FUSEKICDC_STREAMS_FUSEKICDC_STEP_TOPIC", "s",
                                                                "FUSEKICDC_STREAMS_FUSEKICDC_QUERIES", dir.resolve("count.rq").toString()));
        assertEquals("c", c.changeTopic());
    }

    @Test
    void aMissingKeyNamesTheKeyAndItsVariable() throws IOException {
        Files.writeString(file, "bootstrap.servers=b:1\nfusekicdc.change.topic=c\nfusekicdc.queries=count.rq\n");
        CdcConfigException ex = assertThrows(CdcConfigException.class, () -> StreamsAppConfig.load(file, Map.of()));
        assertTrue(ex.getMessage().contains("fusekicdc.step.topic is required") && ex.getMessage().contains("FUSEKICDC_STREAMS_FUSEKICDC_STEP_TOPIC"),
                   ex.getMessage());
    }

    @Test
    void badValuesAreRefusedWithTheValueAndTheFix() throws IOException {
        Files.writeString(dir.resolve("unnamed.rq"), "PREFIX ex: <http://example.org/>\nSELECT * WHERE { ?s ex:p ?o }\n");
        Map<String, String> cases = Map.of(
            "FUSEKICDC_STREAMS_PROCESSING_GUARANTEE", "exactly_once",
            "FUSEKICDC_STREAMS_FUSEKICDC_MAX_WINDOW_QUADS", "lots",
            "FUSEKICDC_STREAMS_FUSEKICDC_INCREMENTAL_WINDOWS", "yes",
            "FUSEKICDC_STREAMS_FUSEKICDC_QUERIES", "missing.rq");
        cases.forEach((env, value) -> {
            CdcConfigException ex = assertThrows(CdcConfigException.class, () -> StreamsAppConfig.load(file, Map.of(env, value)), env);
            assertTrue(ex.getMessage().contains("= " + value), ex.getMessage());
        });
        CdcConfigException unnamed = assertThrows(CdcConfigException.class,
                                                  () -> StreamsAppConfig.load(file, Map.of("FUSEKICDC_STREAMS_FUSEKICDC_QUERIES", "unnamed.rq")));
        assertTrue(unnamed.getMessage().contains("REGISTER"), unnamed.getMessage());
    }

    @Test
    void secretsAreMaskedInTheLoggedSettings() {
        StreamsAppConfig c = StreamsAppConfig.load(file, Map.of("FUSEKICDC_STREAMS_SASL_JAAS_CONFIG", "PlainLoginModule password=\"s3cret\""));
        assertEquals("********", c.maskedStreamsProperties().get("sasl.jaas.config"));
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    @Test
    void thePageListsEveryOptionWithItsDefault() throws IOException {
        String page = Files.readString(SinkDocChecks.repositoryFile("docs/kafka-streams.md"));
        for ( StreamsAppConfig.Key k : StreamsAppConfig.OPTIONS ) {
            String row = "| `" + k.name() + "` | " + cell(k.type()) + " | " + (k.defaultValue() == null ? "required" : k.defaultValue()) + " | "
                         + cell(k.doc()) + " |";
            assertTrue(page.contains(row), "docs/kafka-streams.md has the row, as the option declares it:\n" + row);
        }
    }
}
