package org.fusekicdc.fuseki.config;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.apache.jena.atlas.io.IOX;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.rdf.model.RDFNode;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.live.LiveConfig;

/**
 * Any values for the options of a {@code cdc:CapturedDataset}, of one of its sinks and of its
 * follower source: start-up either accepts them, with limits and durations the server can use,
 * or refuses them with a CdcConfigException that names the option at fault, never with another
 * exception.
 * <p>
 * Inputs: {@code src/test/resources/org/fusekicdc/fuseki/config/ConfigValuesFuzzTestInputs/}, one
 * option a line: {@code option value} for the dataset, {@code sink.option value} for its sink
 * and {@code follow.option value} for its follower source ({@code sink.type KafkaSink} and
 * {@code follow.type KafkaTopic} give their types). A value {@code <iri>} is a resource, {@code []}
 * a blank node, anything else a string. See docs/testing.md.
 */
class ConfigValuesFuzzTest {
    @FuzzTest
    void everyValueIsAcceptedOrRefusedNamingItsOption(byte[] input) throws IOException {
        Path dir = Files.createTempDirectory("config-fuzz");
        try {
            Resource root = description(new String(input, StandardCharsets.UTF_8), dir);
            CapturedDatasetSettings settings;
            try {
                settings = CapturedDatasetSettings.from(root);
            } catch (CdcConfigException ex) {
                assertNotNull(ex.option(), () -> "a refusal that names no option: " + ex.getMessage());
                assertTrue(ex.getMessage().contains("cdc:" + ex.option()), () -> "the message does not name cdc:" + ex.option() + ": " + ex.getMessage());
                return;
            }
            checkUsable(settings);
        } finally {
            IOX.deleteAll(dir);
        }
    }

    /** Accepted limits are at least 1 and accepted durations fit the milliseconds timers take. */
    private static void checkUsable(CapturedDatasetSettings settings) {
        LiveConfig live = settings.live().engineConfig();
        assertTrue(settings.feed().maxStreams() >= 1, "cdc:feedMaxStreams " + settings.feed().maxStreams());
        assertTrue(live.maxSubscriptions() >= 1, "cdc:liveMaxSubscriptions " + live.maxSubscriptions());
        assertTrue(live.maxPerClient() >= 1, "cdc:liveMaxPerClient " + live.maxPerClient());
        assertTrue(live.maxResultRows() >= 1, "cdc:liveMaxResultRows " + live.maxResultRows());
        settings.feed().heartbeat().toMillis();
        settings.live().heartbeat().toMillis();
        live.queryTimeout().toMillis();
        if ( settings.retention().maxAge() != null )
            settings.retention().maxAge().toMillis();
    }

    private static Resource description(String input, Path dir) {
        Model m = ModelFactory.createDefaultModel();
        Resource root = m.createResource("http://example/captured", VocabCdc.CapturedDataset);
        Resource sink = m.createResource();
        Resource follow = m.createResource();
        boolean logDirectory = false, name = false;
        for ( String line : input.split("\n") ) {
            int sp = line.indexOf(' ');
            if ( sp <= 0 )
                continue;
            String key = line.substring(0, sp);
            String value = line.substring(sp + 1);
            Resource subject = root;
            if ( key.startsWith("sink.") || key.startsWith("follow.") ) {
                subject = key.startsWith("sink.") ? sink : follow;
                if ( !subject.hasProperty(VocabCdc.sink) && !subject.hasProperty(VocabCdc.follow) )
                    root.addProperty(subject == sink ? VocabCdc.sink : VocabCdc.follow, subject);
                key = key.substring(key.indexOf('.') + 1);
            }
            if ( key.isEmpty() )
                continue;
            if ( key.equals("type") ) {
                subject.addProperty(RDF.type, m.createResource(VocabCdc.NS + value));
                continue;
            }
            logDirectory |= subject == root && key.equals(VocabCdc.logDirectory.getLocalName());
            name |= subject == root && key.equals(VocabCdc.name.getLocalName());
            subject.addProperty(m.createProperty(VocabCdc.NS + key), node(m, value));
        }
        if ( !root.hasProperty(VocabCdc.dataset) )
            root.addProperty(VocabCdc.dataset, m.createResource());
        if ( !logDirectory )
            root.addProperty(VocabCdc.logDirectory, dir.resolve("log").toString());
        if ( !name )
            root.addProperty(VocabCdc.name, "ds");
        return root;
    }

    private static RDFNode node(Model m, String value) {
        if ( value.equals("[]") )
            return m.createResource();
        if ( value.length() > 2 && value.startsWith("<") && value.endsWith(">") )
            return m.createResource(value.substring(1, value.length() - 1));
        return m.createLiteral(value);
    }
}
