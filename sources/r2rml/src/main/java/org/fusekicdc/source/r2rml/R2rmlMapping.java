package org.fusekicdc.source.r2rml;

import static org.fusekicdc.source.r2rml.VocabR2rml.*;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.riot.RiotException;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.source.r2rml.TermMap.TermType;
import org.fusekicdc.source.r2rml.TriplesMap.JoinCondition;
import org.fusekicdc.source.r2rml.TriplesMap.PredicateObjectMap;
import org.fusekicdc.source.r2rml.TriplesMap.RefObjectMap;

/**
 * A validated R2RML mapping: its triples maps, and the base IRI that relative IRIs get.
 * Read one with {@link #read(Path)} or {@link #parse(String, String)}; every mistake the
 * R2RML recommendation calls an invalid mapping is reported at once, naming the triples map.
 */
public record R2rmlMapping(List<TriplesMap> triplesMaps, String base) {

    public R2rmlMapping {
        triplesMaps = List.copyOf(triplesMaps);
    }

    /**
     * A mapping from a Turtle file; its {@code @base} (or the file's URI) is the base IRI.
     *
     * @throws R2rmlException when the file is not Turtle or the mapping is invalid
     */
    public static R2rmlMapping read(Path turtleFile) {
        Graph g = GraphFactory.createDefaultGraph();
        try {
            RDFParser.source(turtleFile).lang(Lang.TURTLE).parse(g);
        } catch (RiotException ex) {
            throw new R2rmlException("R2RML mapping " + turtleFile + " is not valid Turtle: " + ex.getMessage());
        }
        return from(g, baseOf(turtleFile.toUri().toString(), readBase(turtleFile)));
    }

    /** A mapping from Turtle text, relative IRIs resolved against {@code base}. */
    public static R2rmlMapping parse(String turtle, String base) {
        Graph g = GraphFactory.createDefaultGraph();
        try {
            RDFParser.create().source(new StringReader(turtle)).lang(Lang.TURTLE).base(base).parse(g);
        } catch (RiotException ex) {
            throw new R2rmlException("R2RML mapping is not valid Turtle: " + ex.getMessage());
        }
        return from(g, base);
    }

    /** The {@code @base} or {@code BASE} directive of the file, if it has one: R2RML's base IRI. */
    private static String readBase(Path file) {
        try {
            var m = java.util.regex.Pattern.compile("(?im)^\\s*(?:@base|BASE)\\s*<([^>]*)>").matcher(java.nio.file.Files.readString(file));
            return m.find() ? m.group(1) : null;
        } catch (java.io.IOException ex) {
            throw new R2rmlException("Cannot read R2RML mapping " + file + ": " + ex.getMessage(), ex);
        }
    }

    private static String baseOf(String fileUri, String declared) {
        return declared != null ? declared : fileUri;
    }

    /** A mapping from a graph holding it. */
    public static R2rmlMapping from(Graph g, String base) {
        return new Reader(g, base).read();
    }

    /** The triples map of that name, or null. */
    public TriplesMap triplesMap(String name) {
        for ( TriplesMap tm : triplesMaps )
            if ( tm.name().equals(name) )
                return tm;
        return null;
    }

    /** rr:SQL2008 and the identifiers the W3C lists for other SQL dialects (R2RML 5.3). */
    private static final Set<String> SQL_VERSIONS = Set.of("SQL2008", "Oracle", "MySQL", "MSSQLServer", "HSQLDB", "PostgreSQL", "DB2",
                                                           "Informix", "Ingres", "Progress", "SybaseASE", "SybaseSQLAnywhere", "Virtuoso", "Firebird");

    private static final class Reader {
        private final Graph g;
        private final String base;
        private final List<String> problems = new ArrayList<>();

        Reader(Graph g, String base) {
            this.g = g;
            this.base = base;
        }

        R2rmlMapping read() {
            Set<Node> mapNodes = new LinkedHashSet<>();
            g.find(Node.ANY, RDF.Nodes.type, TriplesMap).forEach(t -> mapNodes.add(t.getSubject()));
            g.find(Node.ANY, logicalTable, Node.ANY).forEach(t -> mapNodes.add(t.getSubject()));
            g.find(Node.ANY, parentTriplesMap, Node.ANY).forEach(t -> mapNodes.add(t.getObject()));
            if ( mapNodes.isEmpty() )
                problems.add("the mapping has no triples map (a resource with rr:logicalTable).");
            List<TriplesMap> maps = new ArrayList<>();
            for ( Node n : mapNodes ) {
                TriplesMap tm = triplesMap(n);
                if ( tm != null )
                    maps.add(tm);
            }
            checkRefs(maps);
            if ( !problems.isEmpty() )
                throw new R2rmlException("Invalid R2RML mapping: " + String.join(" ", problems));
            return new R2rmlMapping(maps, base);
        }

        private TriplesMap triplesMap(Node n) {
            String name = name(n);
            String where = "Triples map <" + name + ">";
            List<Node> tables = objects(n, logicalTable);
            if ( tables.size() != 1 ) {
                problems.add(where + " has " + tables.size() + " rr:logicalTable; it needs exactly one.");
                return null;
            }
            LogicalTable table = logicalTable(tables.get(0), where);
            List<Node> subjects = objects(n, subjectMap);
            List<Node> subjectShortcuts = objects(n, subject);
            if ( subjects.size() + subjectShortcuts.size() != 1 ) {
                problems.add(where + " has " + (subjects.size() + subjectShortcuts.size()) + " subject maps (rr:subjectMap or rr:subject); it needs exactly one.");
                return null;
            }
            TermMap subjectTerm;
            List<Node> classes = List.of();
            List<TermMap> graphs = List.of();
            if ( subjects.isEmpty() ) {
                subjectTerm = constant(subjectShortcuts.get(0), where + " rr:subject", false);
            } else {
                Node sm = subjects.get(0);
                subjectTerm = termMap(sm, where + " subject map", Role.SUBJECT);
                classes = objects(sm, clazz);
                for ( Node c : classes )
                    if ( !c.isURI() )
                        problems.add(where + ": rr:class " + c + " is not an IRI.");
                graphs = graphMaps(sm, where + " subject map");
            }
            List<PredicateObjectMap> poms = new ArrayList<>();
            for ( Node pom : objects(n, predicateObjectMap) )
                poms.add(predicateObjectMap(pom, where));
            return new TriplesMap(name, table, subjectTerm, classes, graphs, poms);
        }

        private LogicalTable logicalTable(Node lt, String where) {
            String tn = literal(lt, tableName, where + " rr:logicalTable");
            String q = literal(lt, sqlQuery, where + " rr:logicalTable");
            if ( (tn == null) == (q == null) )
                problems.add(where + ": its rr:logicalTable needs exactly one of rr:tableName and rr:sqlQuery.");
            List<Node> versions = objects(lt, sqlVersion);
            for ( Node version : versions )
                if ( !version.isURI() || !version.getURI().startsWith(NS) || !SQL_VERSIONS.contains(version.getURI().substring(NS.length())) )
                    problems.add(where + ": rr:sqlVersion " + version + " is not a known SQL version identifier; use rr:SQL2008 or one of "
                                 + SQL_VERSIONS.stream().map(v -> "rr:" + v).toList() + ".");
            if ( q != null )
                q = q.strip().replaceFirst(";+$", "").strip();
            return new LogicalTable(tn, q, versions.isEmpty() ? null : versions.get(0).getURI());
        }

        private PredicateObjectMap predicateObjectMap(Node pom, String where) {
            String here = where + " predicate-object map";
            List<TermMap> predicates = new ArrayList<>();
            for ( Node p : objects(pom, predicate) )
                predicates.add(constant(p, here + " rr:predicate", false));
            for ( Node pm : objects(pom, predicateMap) )
                predicates.add(termMap(pm, here + " predicate map", Role.PREDICATE));
            if ( predicates.isEmpty() )
                problems.add(here + " has no rr:predicate or rr:predicateMap.");
            List<TermMap> objectMaps = new ArrayList<>();
            List<RefObjectMap> refs = new ArrayList<>();
            for ( Node o : objects(pom, object) )
                objectMaps.add(constant(o, here + " rr:object", true));
            for ( Node om : objects(pom, objectMap) ) {
                if ( one(om, parentTriplesMap) != null )
                    refs.add(refObjectMap(om, here));
                else
                    objectMaps.add(termMap(om, here + " object map", Role.OBJECT));
            }
            if ( objectMaps.isEmpty() && refs.isEmpty() )
                problems.add(here + " has no rr:object or rr:objectMap.");
            return new PredicateObjectMap(predicates, objectMaps, refs, graphMaps(pom, here));
        }

        private RefObjectMap refObjectMap(Node om, String where) {
            Node parent = one(om, parentTriplesMap);
            List<JoinCondition> joins = new ArrayList<>();
            for ( Node jc : objects(om, joinCondition) ) {
                String c = literal(jc, child, where + " rr:joinCondition");
                String p = literal(jc, VocabR2rml.parent, where + " rr:joinCondition");
                if ( c == null || p == null )
                    problems.add(where + ": a rr:joinCondition needs both rr:child and rr:parent (column names).");
                else
                    joins.add(new JoinCondition(c, p));
            }
            return new RefObjectMap(name(parent), joins);
        }

        private List<TermMap> graphMaps(Node owner, String where) {
            List<TermMap> out = new ArrayList<>();
            for ( Node gn : objects(owner, graph) )
                out.add(constant(gn, where + " rr:graph", false));
            for ( Node gm : objects(owner, graphMap) )
                out.add(termMap(gm, where + " graph map", Role.GRAPH));
            return out;
        }

        private enum Role { SUBJECT, PREDICATE, OBJECT, GRAPH }

        private TermMap constant(Node value, String where, boolean literalAllowed) {
            if ( value.isBlank() || (value.isLiteral() && !literalAllowed) )
                problems.add(where + ": constant " + value + " must be an IRI" + (literalAllowed ? " or a literal." : "."));
            return new TermMap(graphTerm(value), null, null, value.isLiteral() ? TermType.LITERAL : TermType.IRI, null, null);
        }

        private static Node graphTerm(Node n) {
            return defaultGraph.equals(n) ? Quad.defaultGraphIRI : n;
        }

        private TermMap termMap(Node tm, String where, Role role) {
            Node constantValue = one(tm, constant);
            String columnName = literal(tm, column, where);
            String templateText = literal(tm, template, where);
            int kinds = (constantValue != null ? 1 : 0) + (columnName != null ? 1 : 0) + (templateText != null ? 1 : 0);
            if ( kinds != 1 ) {
                problems.add(where + " has " + kinds + " of rr:constant, rr:column and rr:template; it needs exactly one.");
                return new TermMap(null, null, null, TermType.IRI, null, null);
            }
            String lang = literal(tm, language, where);
            Node dt = one(tm, datatype);
            Node typeNode = one(tm, termType);
            TermType type;
            if ( typeNode == null )
                type = role == Role.OBJECT && (columnName != null || lang != null || dt != null) ? TermType.LITERAL : TermType.IRI;
            else if ( IRI.equals(typeNode) )
                type = TermType.IRI;
            else if ( BlankNode.equals(typeNode) )
                type = TermType.BLANK_NODE;
            else if ( Literal.equals(typeNode) )
                type = TermType.LITERAL;
            else {
                problems.add(where + ": rr:termType " + typeNode + " is none of rr:IRI, rr:BlankNode, rr:Literal.");
                type = TermType.IRI;
            }
            boolean allowed = switch (role) {
                case SUBJECT -> type != TermType.LITERAL;
                case PREDICATE, GRAPH -> type == TermType.IRI;
                case OBJECT -> true;
            };
            if ( !allowed )
                problems.add(where + ": rr:termType " + type + " is not allowed for a " + role.name().toLowerCase()
                             + " map (subjects: IRI or BlankNode; predicates and graphs: IRI).");
            if ( (lang != null || dt != null) && type != TermType.LITERAL )
                problems.add(where + ": rr:language and rr:datatype apply to literals only, but the term type is " + type + ".");
            if ( lang != null && dt != null )
                problems.add(where + " has both rr:language and rr:datatype; a literal has one or the other.");
            if ( lang != null && !lang.matches("[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*") )
                problems.add(where + ": rr:language \"" + lang + "\" is not a valid language tag (BCP 47: a two- or three-letter language, then subtags, e.g. \"en\" or \"es-ES\").");
            if ( dt != null && !dt.isURI() )
                problems.add(where + ": rr:datatype " + dt + " is not an IRI.");
            if ( constantValue != null ) {
                if ( role != Role.OBJECT && !constantValue.isURI() )
                    problems.add(where + ": rr:constant " + constantValue + " must be an IRI.");
                return new TermMap(graphTerm(constantValue), null, null, constantValue.isLiteral() ? TermType.LITERAL : TermType.IRI, null, null);
            }
            Template t = null;
            if ( templateText != null ) {
                try {
                    t = Template.parse(templateText, where);
                } catch (R2rmlException ex) {
                    problems.add(ex.getMessage());
                }
            }
            return new TermMap(null, columnName, t, type, lang, dt == null ? null : dt.getURI());
        }

        private void checkRefs(List<TriplesMap> maps) {
            Map<String, TriplesMap> byName = new HashMap<>();
            maps.forEach(m -> byName.put(m.name(), m));
            for ( TriplesMap tm : maps ) {
                for ( PredicateObjectMap pom : tm.predicateObjectMaps() ) {
                    for ( RefObjectMap ref : pom.refs() ) {
                        TriplesMap parentMap = byName.get(ref.parentName());
                        if ( parentMap == null )
                            problems.add("Triples map <" + tm.name() + ">: rr:parentTriplesMap <" + ref.parentName() + "> is not a triples map of the mapping.");
                        else if ( ref.joins().isEmpty() && !parentMap.table().effectiveSql().equals(tm.table().effectiveSql()) )
                            problems.add("Triples map <" + tm.name() + ">: its rr:refObjectMap to <" + ref.parentName()
                                         + "> has no rr:joinCondition, but the two logical tables differ (" + tm.table() + ", " + parentMap.table()
                                         + "). Add a rr:joinCondition [ rr:child \"...\" ; rr:parent \"...\" ].");
                    }
                }
            }
        }

        private String literal(Node s, Node p, String where) {
            Node o = one(s, p);
            if ( o == null )
                return null;
            if ( !o.isLiteral() ) {
                problems.add(where + ": " + p.getLocalName() + " " + o + " must be a string literal.");
                return null;
            }
            return o.getLiteralLexicalForm();
        }

        private Node one(Node s, Node p) {
            List<Node> os = objects(s, p);
            if ( os.size() > 1 )
                problems.add(name(s) + " has " + os.size() + " values for rr:" + p.getLocalName() + "; it may have one.");
            return os.isEmpty() ? null : os.get(0);
        }

        private List<Node> objects(Node s, Node p) {
            return g.find(s, p, Node.ANY).mapWith(Triple::getObject).toList();
        }

        private static String name(Node n) {
            return n.isURI() ? n.getURI() : "_:" + n.getBlankNodeLabel();
        }
    }
}
