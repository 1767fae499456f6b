package org.fusekicdc.fuseki.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.jena.rdf.model.RDFNode;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.core.source.SourceProvider;

/**
 * One {@code cdc:source} of a captured dataset: its type (which {@link SourceProvider} builds
 * it, found with ServiceLoader only when a configuration has a source) and its options. The
 * provider validates its own options and nested descriptions when the source is created, with
 * the dataset, before the server starts.
 */
public record SourceSettings(SourceProvider provider, String name, OptionValues options, Resource description, Path workDir) {

    /** Source providers on the classpath, by configuration type. */
    public static Map<String, SourceProvider> providers() {
        return Descriptions.providers(SourceProvider.class, SourceProvider::type);
    }

    static SourceSettings from(RDFNode node, Path logDir, String where) {
        Map<String, SourceProvider> providers = providers();
        SourceProvider provider = providers.get(Descriptions.type(node, VocabCdc.source.getLocalName(), where, "each cdc:source", "[ a cdc:PostgresSource ; ... ]",
                                                                  providers.keySet(), "Each source kind is its own jar (for cdc:PostgresSource,"
                                                                  + " fuseki-cdc-source-postgres-*.jar): put it beside the fuseki-cdc jar (see docs/sources.md)."));
        Resource r = node.asResource();
        Map<String, Option<?>> own = provider.options().stream().collect(Collectors.toMap(Option::name, o -> o));
        String nameOpt = VocabCdc.name.getLocalName();
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for ( Statement st : r.listProperties().toList() ) {
            if ( !st.getPredicate().getURI().startsWith(VocabCdc.NS) )
                continue;
            String local = st.getPredicate().getLocalName();
            Option<?> opt = own.get(local);
            if ( opt == null && !local.equals(nameOpt) )
                throw new CdcConfigException(local, where + ", source of type cdc:" + provider.type() + ": unknown option cdc:" + local + ". Options: "
                                             + Stream.concat(Stream.of(nameOpt), own.keySet().stream()).sorted().map(o -> "cdc:" + o)
                                                     .collect(Collectors.joining(", ")) + " (see docs/sources.md).");
            int n = counts.merge(local, 1, Integer::sum);
            if ( n > 1 && (opt == null || !opt.repeatable()) )
                throw new CdcConfigException(local, where + ": cdc:" + local + " is given more than once on a source; give it once.");
            boolean either = opt != null && opt.takesResourceOrLiteral();
            boolean resource = opt != null && opt.takesResource() && !(either && st.getObject().isLiteral());
            if ( resource && !either && !st.getObject().isResource() )
                throw new CdcConfigException(local, where + ": source option cdc:" + local + " must be a description [ ... ], got " + st.getObject() + ".");
            if ( !resource && !st.getObject().isLiteral() )
                throw new CdcConfigException(local, where + ": source option cdc:" + local + " must be a literal value, got " + st.getObject() + ".");
            if ( !resource )
                values.put(local, st.getObject().asLiteral().getLexicalForm());
        }
        String name = values.getOrDefault(nameOpt, defaultName(provider));
        OptionValues options = new OptionValues("Source", name, values, System::getenv);
        return new SourceSettings(provider, name, options, r, Descriptions.stateDirectory(logDir.resolve("sources"), name, where, "source"));
    }

    private static String defaultName(SourceProvider provider) {
        String t = provider.type();
        return (t.endsWith("Source") ? t.substring(0, t.length() - 6) : t).toLowerCase(Locale.ROOT);
    }

    /** A new source for the dataset, validated, not started (nothing connects until {@link Source#start()}). */
    public Source create(CapturingDatasetGraph dataset) {
        return provider.create(new SourceContext(dataset, name, options, description, workDir));
    }
}
