package org.fusekicdc.source.mariadb;

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
import org.fusekicdc.source.relational.Vocab;

/** Test support: a MariaDB source built from a Turtle description as the server would. */
final class MariaDbTesting {
    private MariaDbTesting() {}

    static final String PREFIXES = """
        PREFIX cdc: <https://w3id.org/fuseki-cdc#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        PREFIX ex:  <http://example.org/>
        """;

    static Resource description(String turtle) {
        Model m = ModelFactory.createDefaultModel();
        RDFParser.create().source(new StringReader(PREFIXES + turtle)).lang(Lang.TURTLE).base("http://test/").parse(m);
        return m.createResource("http://test/#source");
    }

    static Source source(CapturingDatasetGraph dsg, String name, String turtle, Path workDir, Map<String, String> env) {
        Resource r = description(turtle);
        Map<String, String> values = new LinkedHashMap<>();
        r.listProperties().forEach(st -> {
            if ( st.getPredicate().getURI().startsWith(Vocab.NS) && st.getObject().isLiteral() )
                values.put(st.getPredicate().getLocalName(), st.getObject().asLiteral().getLexicalForm());
        });
        OptionValues options = new OptionValues("Source", name, values, env::get);
        return new MariaDbSourceProvider().create(new SourceContext(dsg, name, options, r, workDir));
    }
}
