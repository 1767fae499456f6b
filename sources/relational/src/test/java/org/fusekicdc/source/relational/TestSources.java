package org.fusekicdc.source.relational;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.core.source.SourceProvider;

/** Test support: a source built from a Turtle description as the server builds it. */
public final class TestSources {
    private TestSources() {}

    public static final String PREFIXES = """
        PREFIX cdc: <https://w3id.org/fuseki-cdc#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        PREFIX ex:  <http://example.org/>
        """;

    /** The {@code <#source>} resource of a Turtle description. */
    public static Resource description(String turtle) {
        Model m = ModelFactory.createDefaultModel();
        RDFParser.create().source(new StringReader(PREFIXES + turtle)).lang(Lang.TURTLE).base("http://test/").parse(m);
        return m.createResource("http://test/#source");
    }

    /** A source as the server builds it: literal options (with ${env:} from {@code env}) plus the description. */
    public static Source source(SourceProvider provider, CapturingDatasetGraph dsg, String name, String turtle, Path workDir, Map<String, String> env) {
        Resource r = description(turtle);
        Map<String, String> values = new LinkedHashMap<>();
        r.listProperties().forEach(st -> {
            if ( st.getPredicate().getURI().startsWith(Vocab.NS) && st.getObject().isLiteral() )
                values.put(st.getPredicate().getLocalName(), st.getObject().asLiteral().getLexicalForm());
        });
        OptionValues options = new OptionValues("Source", name, values, env::get);
        return provider.create(new SourceContext(dsg, name, options, r, workDir));
    }
}
