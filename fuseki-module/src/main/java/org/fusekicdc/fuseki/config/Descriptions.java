package org.fusekicdc.fuseki.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.jena.rdf.model.RDFNode;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.CdcConfigException;

/**
 * Reading the typed descriptions a captured dataset names (sinks, sources, a follower's topic):
 * {@code [ a cdc:KafkaSink ; cdc:option value ; ... ]}, with errors that name the property,
 * the types on the classpath and the fix.
 */
final class Descriptions {
    private Descriptions() {}

    /** The providers of {@code spi} on the classpath (found with ServiceLoader), by configuration type. */
    static <P> Map<String, P> providers(Class<P> spi, Function<P, String> type) {
        Map<String, P> m = new LinkedHashMap<>();
        ServiceLoader.load(spi, Descriptions.class.getClassLoader()).forEach(p -> m.put(type.apply(p), p));
        return m;
    }

    /**
     * The description's one {@code cdc:} type, which must be one of {@code known}.
     *
     * @param what    how errors call the property's value, e.g. "each cdc:sink"
     * @param example a description to show, e.g. "[ a cdc:KafkaSink ; ... ]"
     * @param missing what to add to the error for a type no provider knows (where its jar is)
     */
    static String type(RDFNode node, String property, String where, String what, String example, Collection<String> known, String missing) {
        if ( !node.isResource() )
            throw new CdcConfigException(property, where + ": cdc:" + property + " must be a description such as " + example + ", got " + node + ".");
        List<String> types = node.asResource().listProperties(RDF.type).toList().stream().map(Statement::getObject)
                                 .filter(o -> o.isURIResource() && o.asResource().getURI().startsWith(VocabCdc.NS))
                                 .map(o -> o.asResource().getLocalName()).toList();
        String knownTypes = known.isEmpty() ? "none" : known.stream().map(t -> "cdc:" + t).collect(Collectors.joining(", "));
        if ( types.size() != 1 )
            throw new CdcConfigException(property, where + ": " + what + " needs exactly one type, one of " + knownTypes + "; got " + types + ".");
        if ( !known.contains(types.get(0)) )
            throw new CdcConfigException(property, where + ": unknown cdc:" + property + " type cdc:" + types.get(0) + ". Types on the server's classpath: "
                                         + knownTypes + ". " + missing);
        return types.get(0);
    }

    /** The directory an option names; an error naming the option for a value the file system cannot take (a NUL character). */
    static Path directory(String option, String value, String where) {
        try {
            return Path.of(value);
        } catch (InvalidPathException ex) {
            throw new CdcConfigException(option, where + ": cdc:" + option + " is not a usable path (" + ex.getReason() + "): " + ex.getInput().replace("\0", "\\0") + ".");
        }
    }

    /**
     * A sink's or source's name, which also names the directory of its state under
     * {@code parent}: one path element, so that it stays there.
     */
    static Path stateDirectory(Path parent, String name, String where, String what) {
        if ( name.isBlank() || name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\") || name.contains("\0") )
            throw new CdcConfigException(VocabCdc.name.getLocalName(), where + ": cdc:name \"" + name.replace("\0", "\\0") + "\" of a " + what
                                         + " also names the directory of its state (" + parent + "): give a name without '/', '\\' or NUL"
                                         + " that is not '.' or '..', such as \"main\".");
        return parent.resolve(name);
    }

    /**
     * The description's {@code cdc:} options, each a literal given once and one of
     * {@code allowed}; other namespaces are left to their own readers.
     *
     * @param what how errors name the description, e.g. "sink of type cdc:KafkaSink"
     * @param docs where the options are documented
     */
    static Map<String, String> literalOptions(Resource r, Set<String> allowed, String where, String what, String docs) {
        Map<String, String> values = new LinkedHashMap<>();
        for ( Statement st : r.listProperties().toList() ) {
            if ( !st.getPredicate().getURI().startsWith(VocabCdc.NS) )
                continue;
            String local = st.getPredicate().getLocalName();
            if ( !allowed.contains(local) )
                throw new CdcConfigException(local, where + ", " + what + ": unknown option cdc:" + local + ". Options: "
                                             + allowed.stream().sorted().map(o -> "cdc:" + o).collect(Collectors.joining(", ")) + " (see " + docs + ").");
            if ( values.containsKey(local) )
                throw new CdcConfigException(local, where + ": cdc:" + local + " is given more than once on a " + what + "; give it once.");
            if ( !st.getObject().isLiteral() )
                throw new CdcConfigException(local, where + ": option cdc:" + local + " of a " + what + " must be a literal value, got " + st.getObject() + ".");
            values.put(local, st.getObject().asLiteral().getLexicalForm());
        }
        return values;
    }
}
