package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.testing.GeneratedDocs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/sinks.md's Kafka option table is generated from the sink's option declarations, and its
 * consumer examples are the code {@link KafkaSinkIT} runs.
 */
class SinksDocTest {
    private static List<String> doc() throws IOException {
        Path p = Path.of("").toAbsolutePath();
        while ( p != null && !Files.isRegularFile(p.resolve("docs/sinks.md")) )
            p = p.getParent();
        assertTrue(p != null, "docs/sinks.md not found above " + Path.of("").toAbsolutePath());
        return Files.readAllLines(p.resolve("docs/sinks.md"), StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = { "reader", "consumer" })
    void consumerExamplesAreTheTestedCode(String name) throws IOException {
        List<String> source = Files.readAllLines(Path.of("src/test/java/org/fusekicdc/sink/kafka/ConsumerSnippets.java"), StandardCharsets.UTF_8);
        int from = source.indexOf(source.stream().filter(l -> l.trim().equals("// snippet:" + name)).findFirst().orElseThrow());
        List<String> code = new ArrayList<>();
        for ( String l : source.subList(from + 1, source.size()) ) {
            if ( l.trim().equals("// end-snippet") )
                break;
            code.add(l);
        }
        int indent = code.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        List<String> expected = code.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList();

        List<String> lines = doc();
        int at = lines.indexOf("<!-- snippet:" + name + " -->");
        assertTrue(at >= 0, "docs/sinks.md has a <!-- snippet:" + name + " --> marker");
        assertEquals("```java", lines.get(at + 1), "code block after the marker");
        List<String> shown = new ArrayList<>();
        for ( String l : lines.subList(at + 2, lines.size()) ) {
            if ( l.equals("```") )
                break;
            shown.add(l);
        }
        assertEquals(String.join("\n", expected), String.join("\n", shown),
                     "docs/sinks.md snippet '" + name + "' must be the code between the markers in ConsumerSnippets.java");
    }

    @Test
    void theKafkaOptionTableIsGeneratedFromTheDeclarations() throws IOException {
        GeneratedDocs.check("docs/sinks.md", Map.of("kafka", KafkaSinkConfig.OPTIONS),
                            "./mvnw -B -pl sinks/kafka -am test -Dtest=SinksDocTest -Dsurefire.failIfNoSpecifiedTests=false");
    }
}
