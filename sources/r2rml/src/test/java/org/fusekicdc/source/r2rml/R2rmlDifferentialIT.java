package org.fusekicdc.source.r2rml;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.source.r2rml.R2rmlTestCases.Case;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each W3C test case's database changed by random inserts, updates and deletes, then each
 * table truncated: after every change the dataset kept by {@link R2rmlMaintainer} (the delta
 * applied) must equal a fresh full mapping of the database. Seeded by {@code -Dr2rml.seed}
 * (default 22); the seed is printed.
 */
class R2rmlDifferentialIT {
    private static final long SEED = Long.getLong("r2rml.seed", 22L);
    private static final int CHANGES_PER_CASE = Integer.getInteger("r2rml.changes", 10);

    @ParameterizedTest
    @EnumSource(TestDb.class)
    void maintainedDatasetEqualsAFreshMappingAfterEveryChange(TestDb db) throws SQLException {
        db.require();
        R2rmlTestCases suite = R2rmlTestCases.find();
        List<String> failures = new ArrayList<>();
        List<String> notRun = new ArrayList<>();
        List<String> unmappable = new ArrayList<>();
        int cases = 0, changes = 0, truncates = 0;
        for ( Case tc : suite.cases() ) {
            if ( tc.expectsError() || R2rmlConformanceIT.W3C_EXPECTS_ERROR.containsKey(tc.id()) )
                continue;
            String ns = TestDb.namespaceFor(tc.id(), "diff");
            try (Connection c = db.fresh(ns)) {
                tc.load(db, c);
                R2rmlMaintainer maintainer;
                DatasetGraph kept;
                try {
                    maintainer = new R2rmlMaintainer(R2rmlMapping.read(tc.mapping()), c);
                    kept = maintainer.evaluator().evaluate();
                } catch (R2rmlException ex) {
                    notRun.add(tc.id() + ": " + ex.getMessage());
                    continue;
                }
                cases++;
                Random random = new Random(SEED * 31 + tc.id().hashCode());
                RandomChanges changer = new RandomChanges(db, c, ns, random);
                List<String> tables = changer.tables();
                String problem = null;
                for ( int i = 0 ; i < CHANGES_PER_CASE && problem == null ; i++ ) {
                    RowEvent event = changer.next(tables);
                    if ( event == null )
                        continue;
                    changes++;
                    try {
                        problem = step(maintainer, kept, () -> maintainer.delta(event, kept), "change " + i + " " + event);
                    } catch (R2rmlException dataError) {
                        problem = sameDataErrorOnFullMapping(maintainer, dataError);
                        if ( problem == null ) {
                            unmappable.add(tc.id() + " change " + i + " " + event + ": " + dataError.getMessage());
                            break;
                        }
                    }
                }
                List<String> order = new ArrayList<>(tables);
                Collections.shuffle(order, random);
                for ( String table : order ) {
                    if ( problem != null || !unmappable.isEmpty() && unmappable.getLast().startsWith(tc.id() + " ") )
                        break;
                    try (Statement st = c.createStatement()) {
                        st.execute("TRUNCATE TABLE " + RandomChanges.q(table));
                    } catch (SQLException ex) {
                        continue; // referenced by a foreign key: the databases refuse, nothing to capture
                    }
                    truncates++;
                    problem = step(maintainer, kept, () -> maintainer.truncate(table, kept), "TRUNCATE " + table);
                }
                if ( problem != null )
                    failures.add(tc.id() + ": " + problem);
            } finally {
                db.drop(ns);
            }
        }
        System.out.println("R2RML differential on " + db + " (seed " + SEED + "): " + cases + " test databases, " + changes + " row changes, "
                           + truncates + " truncates, " + failures.size() + " divergences");
        notRun.forEach(s -> System.out.println("  not run " + s));
        unmappable.forEach(s -> System.out.println("  stopped at a row the mapping cannot map (a data error, raised alike by the full mapping): " + s));
        failures.forEach(s -> System.out.println("  DIVERGED " + s));
        assertTrue(failures.isEmpty(), "Maintained dataset differs from a fresh mapping on " + db + ":\n" + String.join("\n", failures));
    }

    /** Null when the full mapping also fails (a random value gave a data error), else the divergence. */
    private static String sameDataErrorOnFullMapping(R2rmlMaintainer maintainer, R2rmlException deltaError) {
        try {
            maintainer.evaluator().evaluate(q -> {});
            return "the delta failed (" + deltaError.getMessage() + ") but the full mapping does not";
        } catch (R2rmlException ex) {
            return null;
        }
    }

    /** Applies the delta (a data error propagates); null when the kept dataset then equals a fresh mapping, else what differs. */
    private static String step(R2rmlMaintainer maintainer, DatasetGraph kept, java.util.function.Supplier<QuadDelta> delta, String what) {
        QuadDelta d = delta.get();
        for ( Quad q : d.removed() )
            if ( !kept.contains(q) )
                return what + ": removes a quad that is not there: " + q;
        for ( Quad q : d.added() )
            if ( kept.contains(q) )
                return what + ": adds a quad that is already there: " + q;
        d.applyTo(kept);
        Set<Quad> expected = new HashSet<>();
        maintainer.evaluator().evaluate(expected::add);
        Set<Quad> actual = new HashSet<>();
        kept.find().forEachRemaining(actual::add);
        if ( expected.equals(actual) )
            return null;
        Set<Quad> missing = new HashSet<>(expected);
        missing.removeAll(actual);
        Set<Quad> extra = new HashSet<>(actual);
        extra.removeAll(expected);
        return what + " (delta " + d + "): missing " + missing + ", extra " + extra;
    }
}
