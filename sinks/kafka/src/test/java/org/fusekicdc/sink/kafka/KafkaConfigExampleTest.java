package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.config.OptionValues;
import org.junit.jupiter.api.Test;

/**
 * config-examples/kafka.ttl parses, and its sink description is one the Kafka sink accepts:
 * only options it knows, valid values. (How the server reads it is the Fuseki module's business;
 * here the options are read off the Turtle the simplest way.)
 */
class KafkaConfigExampleTest {
    private static final String CDC = "https://w3id.org/fuseki-cdc#";

    @Test
    void theExampleSinkIsValid() {
        Path p = Path.of("").toAbsolutePath();
        while ( p != null && !Files.isRegularFile(p.resolve("config-examples/kafka.ttl")) )
            p = p.getParent();
        assertTrue(p != null, "config-examples/kafka.ttl not found");
        Model m = RDFDataMgr.loadModel(p.resolve("config-examples/kafka.ttl").toString());
        List<Resource> sinks = m.listResourcesWithProperty(RDF.type, m.createResource(CDC + "KafkaSink")).toList();
        assertEquals(1, sinks.size(), "one cdc:KafkaSink");
        Resource sink = sinks.get(0);
        Map<String, String> options = new HashMap<>();
        String name = null;
        for ( Statement s : sink.listProperties().toList() ) {
            if ( s.getPredicate().equals(RDF.type) )
                continue;
            assertTrue(s.getPredicate().getURI().startsWith(CDC), "cdc: property: " + s.getPredicate());
            String local = s.getPredicate().getURI().substring(CDC.length());
            if ( local.equals("name") )
                name = s.getString();
            else
                options.put(local, s.getObject().asLiteral().getLexicalForm());
        }
        Set<String> known = KafkaSinkConfig.OPTIONS.stream().map(o -> o.name()).collect(Collectors.toSet());
        assertTrue(known.containsAll(options.keySet()), "unknown options in the example: " + options.keySet());
        assertEquals("kafka", name);
        KafkaSinkConfig c = KafkaSinkConfig.parse("ds", new OptionValues(name, options, Map.of("KAFKA_PASSWORD", "pw")::get));
        assertEquals("fuseki-cdc.ds", c.topic());
        assertEquals(PatchRecord.TEXT, c.contentType());
        assertEquals("SASL_SSL", c.producerProperties().getProperty("security.protocol"));
        assertTrue(c.producerProperties().getProperty("sasl.jaas.config").contains("password=\"pw\";"));
    }
}
