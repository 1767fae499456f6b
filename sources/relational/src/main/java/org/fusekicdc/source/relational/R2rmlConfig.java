package org.fusekicdc.source.relational;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.jena.rdf.model.RDFNode;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.source.r2rml.R2rmlException;
import org.fusekicdc.source.r2rml.R2rmlMapping;
import org.fusekicdc.source.r2rml.TriplesMap;

/**
 * Reads {@code cdc:r2rmlMapping}: the IRI of a mapping file (written relative in config.ttl, so
 * resolved against the configuration file) or the mapping's Turtle inline; and the tables the
 * connector must follow for it, every base table an {@code rr:tableName} names.
 */
final class R2rmlConfig {
    private static final String OPTION = RelationalSettings.R2RML_MAPPING.name();
    private static final Pattern BASE = Pattern.compile("(?im)^\\s*(?:@base|BASE)\\s*<([^>]*)>");
    /** The base IRI of an inline mapping that declares none. */
    static final String INLINE_BASE = "http://localhost/";

    private R2rmlConfig() {}

    /** The mapping, or null when the source has no cdc:r2rmlMapping. */
    static R2rmlMapping read(Resource description, String where) {
        List<Statement> given = description.listProperties(Vocab.r2rmlMapping).toList();
        if ( given.isEmpty() )
            return null;
        if ( given.size() > 1 )
            throw new CdcConfigException(OPTION, where + ": cdc:r2rmlMapping is given " + given.size() + " times; give one mapping (one file may hold many triples maps).");
        RDFNode m = given.get(0).getObject();
        try {
            if ( m.isURIResource() )
                return R2rmlMapping.read(file(m.asResource().getURI(), where));
            if ( m.isLiteral() ) {
                String turtle = m.asLiteral().getLexicalForm();
                Matcher b = BASE.matcher(turtle);
                return R2rmlMapping.parse(turtle, b.find() ? b.group(1) : INLINE_BASE);
            }
        } catch (R2rmlException ex) {
            throw new CdcConfigException(OPTION, where + ": cdc:r2rmlMapping " + (m.isURIResource() ? "<" + m.asResource().getURI() + ">" : "(inline)")
                                         + " is not a valid R2RML mapping: " + ex.getMessage());
        }
        throw new CdcConfigException(OPTION, where + ": cdc:r2rmlMapping must be the mapping file's IRI, e.g. <shop.r2rml.ttl> (relative to the configuration file),"
                                     + " or the mapping's Turtle as a string; got a blank node.");
    }

    private static Path file(String iri, String where) {
        URI uri = URI.create(iri);
        if ( !"file".equalsIgnoreCase(uri.getScheme()) )
            throw new CdcConfigException(OPTION, where + ": cdc:r2rmlMapping <" + iri + "> is not a file; give the mapping file's path, e.g. <shop.r2rml.ttl>"
                                         + " (relative to the configuration file) or <file:///etc/fuseki/shop.r2rml.ttl>.");
        Path p = Path.of(uri);
        if ( !Files.isReadable(p) )
            throw new CdcConfigException(OPTION, where + ": cdc:r2rmlMapping file " + p + " does not exist or cannot be read. A relative IRI such as"
                                         + " <shop.r2rml.ttl> is resolved against the configuration file's location: put the mapping there, or give its absolute path.");
        return p;
    }

    /**
     * {@code schema.table} of every table the mapping names with rr:tableName (quotes removed),
     * with {@code defaultSchema} put before a name without one.
     */
    static List<String> capturedTables(R2rmlMapping mapping, String defaultSchema, String tableExample, String where) {
        Set<String> out = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for ( TriplesMap tm : mapping.triplesMaps() ) {
            String name = tm.table().tableName();
            if ( name == null )
                continue;
            List<String> parts = new ArrayList<>();
            for ( String part : name.strip().split("\\.") ) {
                String p = part.strip();
                parts.add(p.length() > 1 && p.startsWith("\"") && p.endsWith("\"") ? p.substring(1, p.length() - 1).replace("\"\"", "\"") : p);
            }
            if ( parts.size() == 1 && defaultSchema == null )
                problems.add(tm + ": rr:tableName \"" + name + "\" must name its database too, e.g. \"" + tableExample + "\"");
            else if ( parts.size() == 1 )
                out.add(defaultSchema + "." + parts.get(0));
            else
                out.add(parts.get(parts.size() - 2) + "." + parts.get(parts.size() - 1));
        }
        if ( !problems.isEmpty() )
            throw new CdcConfigException(OPTION, where + ": " + String.join("; ", problems) + ".");
        if ( out.isEmpty() )
            throw new CdcConfigException(OPTION, where + ": the R2RML mapping names no table with rr:tableName; the source follows the tables the mapping names"
                                         + " (an rr:sqlQuery is evaluated again when one of them changes), so at least one triples map needs rr:tableName.");
        return List.copyOf(out);
    }
}
