package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.testing.SinkDocChecks;
import org.junit.jupiter.api.Test;

/**
 * config-examples/eventhubs.ttl parses, and its sink is one the Kafka sink accepts as Event
 * Hubs needs it: SASL_SSL, PLAIN, the user {@code $ConnectionString} (a literal dollar, not a
 * variable) and the connection string from the environment; no transactions; events of 1 MB.
 */
class EventHubsConfigExampleTest {
    private static final String CDC = "https://w3id.org/fuseki-cdc#";

    @Test
    void theExampleSinkIsValidForEventHubs() {
        Model m = RDFDataMgr.loadModel(SinkDocChecks.repositoryFile("config-examples/eventhubs.ttl").toString());
        Resource sink = m.listResourcesWithProperty(RDF.type, m.createResource(CDC + "KafkaSink")).toList().get(0);
        Map<String, String> options = new HashMap<>();
        String name = null;
        for ( Statement s : sink.listProperties().toList() ) {
            if ( s.getPredicate().equals(RDF.type) )
                continue;
            String local = s.getPredicate().getURI().substring(CDC.length());
            if ( local.equals("name") )
                name = s.getString();
            else
                options.put(local, s.getObject().asLiteral().getLexicalForm());
        }
        String connectionString = "Endpoint=sb://mynamespace.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc=";
        KafkaSinkConfig c = KafkaSinkConfig.parse("ds", new OptionValues(name, options, Map.of("EVENTHUBS_CONNECTION_STRING", connectionString)::get));
        assertEquals("mynamespace.servicebus.windows.net:9093", c.bootstrapServers());
        assertFalse(c.transactional(), "the Standard tier has no Kafka transactions");
        assertFalse(c.createTopic(), "event hubs are created in Azure");
        assertTrue(c.maxMessageBytes() <= 1_000_000, "an event is at most 1 MB");
        assertEquals("SASL_SSL", c.producerProperties().getProperty("security.protocol"));
        assertEquals("PLAIN", c.producerProperties().getProperty("sasl.mechanism"));
        String jaas = c.producerProperties().getProperty("sasl.jaas.config");
        assertTrue(jaas.contains("username=\"$ConnectionString\""), jaas);
        assertTrue(jaas.contains("password=\"" + connectionString + "\";"), jaas);
    }
}
