package org.fusekicdc.source.r2rml;

import java.sql.Connection;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.jena.graph.Node;
import org.apache.jena.riot.process.normalize.NormalizeRDFTerms;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.source.r2rml.R2rmlEvaluator.Condition;
import org.fusekicdc.source.r2rml.TermMap.TermType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a dataset equal to a mapping's output as rows change: for one {@link RowEvent}, or a
 * {@code TRUNCATE}, the exact {@link QuadDelta} against the dataset as it is now.
 *
 * <p>How: a unit (see {@link Unit}) whose logical tables are all base tables ({@code rr:tableName}
 * naming a table) is maintained <b>by key</b>: the changed row's own quads come from the before
 * and after rows in memory; for a referencing object map the other side of the join is read
 * with one query on the join columns of the changed row, and the quads the old row took part in
 * are found in the dataset by the row's subject (child side) or the parent's subject (parent
 * side). A unit that reads a view or an {@code rr:sqlQuery} is <b>re-evaluated</b>: SQL does not
 * say which result rows a base-table change touches, so its whole output is computed again and
 * compared with the quads of its shape in the dataset. It is re-evaluated when a changed table's
 * name occurs in its query text, and for a view on every change.
 *
 * <p>A quad is only removed after checking that no row produces it any more (several rows, or
 * triples maps, can produce the same quad): the units that could produce it are evaluated on the
 * rows its subject points to (the subject template inverted into key values when that is
 * unambiguous, otherwise on the whole logical table).
 *
 * <p>The database is read as it is when the delta is computed. When it is already ahead of the
 * event (a stream that lags), a delta can anticipate later changes; once every event has been
 * handled the dataset equals the mapping's output over the database.
 */
public final class R2rmlMaintainer {
    private static final Logger LOG = LoggerFactory.getLogger(R2rmlMaintainer.class);
    private static final Pattern NOT_UNRESERVED = Pattern.compile("[^A-Za-z0-9._~%-]");

    private final R2rmlEvaluator evaluator;
    private final String base;
    private final Set<Unit> keyed = new LinkedHashSet<>();
    private final Set<Unit> reEvaluated = new LinkedHashSet<>();
    private final Set<LogicalTable> views = new LinkedHashSet<>();
    /** Keyed units that alone produce quads with their subjects and predicate: a quad of theirs goes when its row no longer gives it. */
    private final Set<Unit> owning = new HashSet<>();

    /**
     * @throws R2rmlException if a logical table cannot be read
     */
    public R2rmlMaintainer(R2rmlMapping mapping, Connection connection) {
        this.evaluator = new R2rmlEvaluator(mapping, connection);
        this.base = mapping.base();
        for ( TriplesMap tm : mapping.triplesMaps() )
            if ( tm.table().isTableName() && evaluator.isView(tm) )
                views.add(tm.table());
        for ( Unit u : evaluator.units() ) {
            boolean byKey = isBaseTable(u.map().table()) && (!u.isJoin() || isBaseTable(u.parent().table()));
            (byKey ? keyed : reEvaluated).add(u);
        }
        for ( Unit u : keyed )
            if ( ownsItsQuads(u) )
                owning.add(u);
        if ( !owning.isEmpty() )
            LOG.debug("R2RML: units that alone produce quads of their subjects (from the row's key) and predicate: {}", owning);
        if ( !reEvaluated.isEmpty() )
            LOG.info("R2RML: maintained by re-evaluating the whole part on each change of a table it reads (views, rr:sqlQuery): {}", reEvaluated);
    }

    public R2rmlEvaluator evaluator() {
        return evaluator;
    }

    private boolean isBaseTable(LogicalTable t) {
        return t.isTableName() && !views.contains(t);
    }

    /**
     * Whether no other unit, and no other row, can produce a quad with a subject and the
     * predicate of this unit: its subject template holds the table's primary key (split back
     * unambiguously), its predicate is a constant, and every other unit has another constant
     * predicate or subjects of another shape. Such a quad goes as soon as its row no longer gives
     * it, without asking the database whether another row still does.
     */
    private boolean ownsItsQuads(Unit u) {
        Node p = u.fixedPredicate();
        TermMap sm = u.map().subject();
        if ( u.ref() != null || p == null || sm.termType() != TermType.IRI || sm.template() == null )
            return false;
        Template t = sm.template();
        for ( int i = 1 ; i < t.columns().size() ; i++ )
            if ( !NOT_UNRESERVED.matcher(t.literal(i)).find() )
                return false;
        Set<String> key = evaluator.primaryKey(u.map());
        Set<String> columns = new HashSet<>();
        t.columns().forEach(c -> columns.add(evaluator.resolve(u.map(), c)));
        if ( key.isEmpty() || !columns.containsAll(key) )
            return false;
        for ( Unit v : evaluator.units() ) {
            if ( v.equals(u) )
                continue;
            Node vp = v.fixedPredicate();
            if ( (vp == null || vp.equals(p)) && !disjointSubjects(sm, v.map().subject()) )
                return false;
        }
        return true;
    }

    /** Whether the subject maps certainly give different subjects: other constants, blank nodes, or absolute templates whose fixed starts differ. */
    private boolean disjointSubjects(TermMap a, TermMap b) {
        if ( b.termType() == TermType.BLANK_NODE )
            return true;
        if ( b.constant() != null )
            return !a.mayProduce(b.constant(), base);
        if ( b.template() == null || b.termType() != TermType.IRI )
            return false;
        String pa = a.template().literal(0);
        String pb = b.template().literal(0);
        return pa.contains(":") && pb.contains(":") && !pa.startsWith(pb) && !pb.startsWith(pa);
    }

    /** The change a row event makes to {@code current}, a dataset that holds the mapping's output before it. */
    public QuadDelta delta(RowEvent event, DatasetGraph current) {
        Set<Quad> candidates = new LinkedHashSet<>();
        Set<Quad> produced = new LinkedHashSet<>();
        SubjectQuads subjects = new SubjectQuads(current);
        Set<Quad> owned = new HashSet<>();
        // Per triples map, once for all its units: the rows and their subjects.
        Map<TriplesMap, Row> befores = new HashMap<>();
        Map<TriplesMap, Row> afters = new HashMap<>();
        Map<TriplesMap, Node> oldSubjects = new HashMap<>();
        Map<TriplesMap, Node> newSubjects = new HashMap<>();
        for ( Unit u : keyed ) {
            if ( names(u.map().table(), event.table()) ) {
                Row before = event.before() == null ? null : befores.computeIfAbsent(u.map(), m -> evaluator.row(m, event.before()));
                Row after = event.after() == null ? null : afters.computeIfAbsent(u.map(), m -> evaluator.row(m, event.after()));
                if ( before != null ) {
                    Node subject = oldSubjects.computeIfAbsent(u.map(), m -> oldSubject(u, before));
                    if ( subject != null ) {
                        for ( Quad q : subjects.quads(subject) ) {
                            if ( u.mayProduce(q, base) ) {
                                candidates.add(q);
                                if ( owning.contains(u) )
                                    owned.add(q);
                            }
                        }
                    }
                }
                if ( after != null ) {
                    if ( u.isJoin() )
                        evaluator.scanJoining(u, after, true, produced::add);
                    else
                        u.quads(after, after, newSubjects.computeIfAbsent(u.map(), m -> subject(m, after)), base, q -> {
                            produced.add(q);
                            subjects.quads(q.getSubject());
                        });
                }
            }
            if ( u.isJoin() && names(u.parent().table(), event.table()) ) {
                Row before = event.before() == null ? null : evaluator.row(u.parent(), event.before());
                Row after = event.after() == null ? null : evaluator.row(u.parent(), event.after());
                if ( before != null ) {
                    Node oldObject = u.parent().subject().generate(before, base);
                    if ( oldObject != null )
                        find(current, u, null, oldObject, candidates);
                }
                if ( after != null )
                    evaluator.scanJoining(u, after, false, produced::add);
            }
        }
        for ( Unit u : reEvaluated )
            if ( dependsOn(u, event.table()) )
                reEvaluate(u, current, candidates, produced);
        return settle(candidates, produced, current, subjects, owned);
    }

    /**
     * The dataset's quads of the subjects a row event touches, each subject looked up once: one
     * index probe serves every unit of the row, and tells whether a produced quad is there.
     */
    private static final class SubjectQuads {
        private final DatasetGraph current;
        private final Map<Node, List<Quad>> quads = new HashMap<>();
        private final Map<Node, Set<Quad>> values = new HashMap<>();

        SubjectQuads(DatasetGraph current) {
            this.current = current;
        }

        List<Quad> quads(Node subject) {
            return quads.computeIfAbsent(subject, s -> {
                List<Quad> found = new ArrayList<>();
                Set<Quad> byValue = new HashSet<>();
                current.find(Node.ANY, s, Node.ANY, Node.ANY).forEachRemaining(q -> {
                    Quad normal = normal(q);
                    found.add(normal);
                    byValue.add(byValue(normal));
                });
                values.put(s, byValue);
                return found;
            });
        }

        /** Whether the dataset holds the quad: from the subject's quads when they were looked up, else by asking it. */
        boolean contains(Quad q) {
            Set<Quad> known = values.get(q.getSubject());
            return known != null ? !known.isEmpty() && known.contains(byValue(q)) : current.contains(q);
        }
    }

    /** The change a {@code TRUNCATE} of the table makes: exactly the quads that need one of its rows go. */
    public QuadDelta truncate(String table, DatasetGraph current) {
        Set<Quad> candidates = new LinkedHashSet<>();
        Set<Quad> produced = new LinkedHashSet<>();
        for ( Unit u : unitsReading(table) )
            reEvaluate(u, current, candidates, produced);
        return settle(candidates, produced, current, new SubjectQuads(current), Set.of());
    }

    /**
     * Removes every quad that a unit reading the table may have given, without asking the
     * database: what a source does before it loads the table's rows again (a snapshot, whose
     * rows then arrive as inserts). Unlike {@link #truncate}, quads that rows of other tables
     * also give go too; clear every mapped table before a snapshot of them all.
     */
    public QuadDelta clear(String table, DatasetGraph current) {
        Set<Quad> quads = new LinkedHashSet<>();
        for ( Unit u : unitsReading(table) )
            find(current, u, null, null, quads);
        return new QuadDelta(quads, Set.of());
    }

    /** The units whose output depends on the table's rows. */
    private List<Unit> unitsReading(String table) {
        List<Unit> out = new ArrayList<>();
        for ( Unit u : keyed )
            if ( names(u.map().table(), table) || (u.isJoin() && names(u.parent().table(), table)) )
                out.add(u);
        for ( Unit u : reEvaluated )
            if ( dependsOn(u, table) )
                out.add(u);
        return out;
    }

    /**
     * The quads an old row may have given, looked up in the dataset by the row's subject: this
     * needs only the subject's columns of the before image (with PostgreSQL's default replica
     * identity, the key), and finds the quads of a join whatever the parent rows are now.
     */
    private Node subject(TriplesMap m, Row row) {
        try {
            return m.subject().generate(row, base);
        } catch (R2rmlException ex) {
            throw new R2rmlException(m + ": " + ex.getMessage(), ex);
        }
    }

    private Node oldSubject(Unit u, Row before) {
        try {
            return u.map().subject().generate(before, base);
        } catch (R2rmlException ex) {
            throw new R2rmlException(ex.getMessage() + " The before image of a changed row must carry the columns of the subject map"
                                     + " (use key columns in the template, or REPLICA IDENTITY FULL on PostgreSQL).", ex);
        }
    }

    private void find(DatasetGraph current, Unit u, Node subject, Node object, Set<Quad> out) {
        Node p = u.fixedPredicate();
        current.find(Node.ANY, subject == null ? Node.ANY : subject, p == null ? Node.ANY : p, object == null ? Node.ANY : object)
               .forEachRemaining(q -> {
                   Quad normal = normal(q);
                   if ( u.mayProduce(normal, base) )
                       out.add(normal);
               });
    }

    private void reEvaluate(Unit u, DatasetGraph current, Set<Quad> candidates, Set<Quad> produced) {
        find(current, u, null, null, candidates);
        evaluator.scan(u, List.of(), produced::add);
    }

    /**
     * Adds what is produced and absent; removes what is present, not produced by this change, and
     * produced by no row ({@code owned}: quads that only their row could produce).
     */
    private QuadDelta settle(Set<Quad> candidates, Set<Quad> produced, DatasetGraph current, SubjectQuads subjects, Set<Quad> owned) {
        Set<Quad> added = new LinkedHashSet<>();
        for ( Quad q : produced )
            if ( !subjects.contains(q) )
                added.add(q);
        Set<Quad> removed = new LinkedHashSet<>();
        Map<String, Set<Quad>> checked = new HashMap<>();
        Set<Quad> producedValues = new HashSet<>();
        if ( !candidates.isEmpty() )
            produced.forEach(q -> producedValues.add(byValue(q)));
        for ( Quad q : candidates ) {
            if ( producedValues.contains(byValue(q)) )
                continue;
            if ( owned.contains(q) ) {
                removed.add(q);
                continue;
            }
            if ( !current.contains(q) )
                continue;
            if ( !stillProduced(q, checked) )
                removed.add(q);
        }
        return new QuadDelta(removed, added);
    }

    private boolean stillProduced(Quad q, Map<String, Set<Quad>> checked) {
        for ( Unit u : evaluator.units() ) {
            if ( !u.mayProduce(q, base) )
                continue;
            List<Condition> conditions = keyConditions(u, q.getSubject());
            if ( conditions == null )
                continue;
            String key = System.identityHashCode(u) + " " + conditions;
            Set<Quad> quads = checked.computeIfAbsent(key, k -> {
                Set<Quad> s = new HashSet<>();
                evaluator.scan(u, conditions, x -> s.add(byValue(x)));
                return s;
            });
            if ( quads.contains(byValue(q)) )
                return true;
        }
        return false;
    }

    /**
     * Conditions on the unit's child rows that every row whose subject is {@code subject} meets:
     * the subject template's values, when the template splits unambiguously and the column's
     * type compares exactly (text, integers); an empty list means all rows; null means none.
     */
    private List<Condition> keyConditions(Unit u, Node subject) {
        TermMap sm = u.map().subject();
        if ( sm.termType() != TermType.IRI || !subject.isURI() || (sm.template() == null && sm.column() == null) )
            return List.of();
        Map<String, Integer> types = evaluator.columnTypes(u.map(), u.map().table());
        String iri = subject.getURI();
        List<String> variants = new ArrayList<>(List.of(iri));
        if ( iri.startsWith(base) )
            variants.add(iri.substring(base.length()));
        if ( sm.column() != null ) {
            String col = evaluator.resolve(u.map(), sm.column());
            return isText(types.get(col)) ? List.of(new Condition(R2rmlEvaluator.CHILD, col, List.copyOf(variants))) : List.of();
        }
        Template t = sm.template();
        List<String> cols = t.columns();
        for ( int i = 1 ; i < cols.size() ; i++ )
            if ( !NOT_UNRESERVED.matcher(t.literal(i)).find() )
                return List.of();
        StringBuilder regex = new StringBuilder(Pattern.quote(t.literal(0)));
        for ( int i = 0 ; i < cols.size() ; i++ )
            regex.append("([A-Za-z0-9._~%-]*)").append(Pattern.quote(t.literal(i + 1)));
        Pattern shape = Pattern.compile(regex.toString());
        Map<String, List<Object>> values = new HashMap<>();
        for ( String variant : variants ) {
            Matcher m = shape.matcher(variant);
            if ( !m.matches() )
                continue;
            for ( int i = 0 ; i < cols.size() ; i++ ) {
                String col = evaluator.resolve(u.map(), cols.get(i));
                Object v = typed(percentDecode(m.group(i + 1)), types.get(col));
                if ( v != null )
                    values.computeIfAbsent(col, c -> new ArrayList<>()).add(v);
            }
        }
        if ( values.isEmpty() && variants.stream().noneMatch(v -> shape.matcher(v).matches()) )
            return null;
        List<Condition> conditions = new ArrayList<>();
        values.forEach((col, vs) -> conditions.add(new Condition(R2rmlEvaluator.CHILD, col, vs)));
        return conditions;
    }

    /** The value as the column compares it, or null when the column's text form is not exact (then no condition). */
    private static Object typed(String text, Integer type) {
        if ( type == null )
            return null;
        if ( isText(type) )
            return text;
        return switch (type) {
            case Types.INTEGER, Types.SMALLINT, Types.BIGINT, Types.TINYINT -> {
                try {
                    yield Long.parseLong(text);
                } catch (NumberFormatException ex) {
                    yield null;
                }
            }
            default -> null;
        };
    }

    private static boolean isText(Integer type) {
        return type != null && (type == Types.VARCHAR || type == Types.CHAR || type == Types.LONGVARCHAR || type == Types.NVARCHAR
                                || type == Types.NCHAR || type == Types.LONGNVARCHAR);
    }

    private static String percentDecode(String s) {
        return java.net.URLDecoder.decode(s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    }

    private boolean names(LogicalTable t, String eventTable) {
        if ( !t.isTableName() )
            return false;
        String bare = eventTable.substring(eventTable.lastIndexOf('.') + 1).replace("\"", "");
        return t.delimited() ? t.bareName().equals(bare) : t.bareName().equalsIgnoreCase(bare);
    }

    private boolean dependsOn(Unit u, String table) {
        return dependsOn(u.map().table(), table) || (u.isJoin() && dependsOn(u.parent().table(), table));
    }

    private boolean dependsOn(LogicalTable t, String table) {
        if ( t.isTableName() )
            return views.contains(t) || names(t, table);
        String bare = table.substring(table.lastIndexOf('.') + 1).replace("\"", "");
        return Pattern.compile("(?i)(?<![A-Za-z0-9_])" + Pattern.quote(bare) + "(?![A-Za-z0-9_])").matcher(t.sqlQuery()).find();
    }

    /**
     * The quad with its literal in canonical form, for comparing what the mapping produces with
     * what the dataset holds: a store such as TDB2 keeps numbers, dates and booleans as values
     * and gives back its own lexical form ("8.025E1" may come back as another spelling of 80.25).
     */
    private static Quad byValue(Quad q) {
        Node o = q.getObject();
        if ( !o.isLiteral() )
            return q;
        Node canonical = NormalizeRDFTerms.get().normalize(o);
        return canonical.equals(o) ? q : Quad.create(q.getGraph(), q.getSubject(), q.getPredicate(), canonical);
    }

    private static Quad normal(Quad q) {
        return Quad.isDefaultGraph(q.getGraph()) && !Quad.defaultGraphIRI.equals(q.getGraph())
               ? Quad.create(Quad.defaultGraphIRI, q.asTriple()) : q;
    }
}
