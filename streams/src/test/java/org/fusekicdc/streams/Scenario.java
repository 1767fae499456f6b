package org.fusekicdc.streams;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepJson;
import org.fusekicdc.rsp.StreamEngine;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.rsp.VersionReader;

/**
 * One query set and one random change stream, and what the in-server engine makes of them:
 * the reference the Kafka Streams topology is compared with. Queries cover every window kind
 * (sliding, tumbling, count, session, event time), every operator, ASK and CONSTRUCT, and
 * enrichment from the dataset (sensors move between rooms while the stream runs).
 */
final class Scenario {
    static final String EX = "http://example.org/";
    static final String PREFIXES = """
        PREFIX cdc:  <https://w3id.org/fuseki-cdc#>
        PREFIX ex:   <http://example.org/>
        PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
        """;

    static final List<String> QUERIES = List.of(
        """
        REGISTER RSTREAM <urn:q:room-average> AS
        SELECT ?room (AVG(?v) AS ?a) (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT60S STEP PT20S]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; ex:value ?v } ?sen ex:inRoom ?room } GROUP BY ?room
        """,
        """
        REGISTER ISTREAM <urn:q:busy-sensors> AS
        SELECT ?sen (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT30S]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen } } GROUP BY ?sen HAVING (COUNT(*) > 1)
        """,
        """
        REGISTER DSTREAM <urn:q:seen-in> AS
        CONSTRUCT { ?sen ex:seenIn ?room }
        FROM NAMED WINDOW <urn:w> ON cdc:added [ROWS 10]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen } ?sen ex:inRoom ?room }
        """,
        """
        REGISTER RSTREAM <urn:q:removed-values> AS
        SELECT (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON cdc:removed [RANGE PT120S STEP PT30S]
        WHERE { WINDOW <urn:w> { ?o ex:value ?v } }
        """,
        """
        REGISTER RSTREAM <urn:q:sessions> AS
        SELECT ?sen (MAX(?v) AS ?hi)
        FROM NAMED WINDOW <urn:w> ON cdc:added [SESSION GAP PT15S]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; ex:value ?v } } GROUP BY ?sen
        """,
        """
        REGISTER RSTREAM <urn:q:event-time> AS
        SELECT (COUNT(*) AS ?n) (SUM(?v) AS ?s)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT60S STEP PT30S TIME ex:ts LATENESS PT10S]
        WHERE { WINDOW <urn:w> { ?o ex:value ?v } }
        """,
        """
        REGISTER RSTREAM <urn:q:any-b> AS
        ASK
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT30S STEP PT10S]
        WHERE { WINDOW <urn:w> { ?o ex:kind ex:B } }
        """);

    private Scenario() {}

    static List<ContinuousQuery> queries() {
        return QUERIES.stream().map(q -> ContinuousQuery.parse(PREFIXES + q)).toList();
    }

    /**
     * A random stream of {@code count} commits: observations with a sensor, value, kind and event
     * time (some behind the commit time), sensors moving between rooms, observations retracted,
     * and now and then a large commit (split into parts by a small message size limit).
     */
    static List<Commit> commits(long seed, int count) {
        Random rnd = new Random(seed);
        List<Commit> out = new ArrayList<>();
        long t = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
        List<Quad> rooms = new ArrayList<>();
        for ( int s = 0; s < 5; s++ )
            rooms.add(q("s" + s, "inRoom", uri("r" + (s % 3))));
        out.add(new Commit(1, Instant.ofEpochMilli(t), rooms, List.of()));
        List<List<Quad>> live = new ArrayList<>();
        int obs = 0;
        for ( int v = 2; v <= count; v++ ) {
            t += 1000L * (1 + rnd.nextInt(20));
            List<Quad> added = new ArrayList<>();
            List<Quad> removed = new ArrayList<>();
            int n = rnd.nextInt(15) == 0 ? 40 : 1 + rnd.nextInt(3);
            for ( int i = 0; i < n; i++ ) {
                String o = "o" + (obs++);
                long eventTime = t - 1000L * rnd.nextInt(rnd.nextInt(4) == 0 ? 30 : 3);
                List<Quad> observation = List.of(q(o, "sensor", uri("s" + rnd.nextInt(5))),
                                                 q(o, "value", NodeFactory.createLiteralDT(Integer.toString(rnd.nextInt(100)), XSDDatatype.XSDinteger)),
                                                 q(o, "kind", uri(rnd.nextBoolean() ? "A" : "B")),
                                                 q(o, "ts", NodeFactory.createLiteralDT(Instant.ofEpochMilli(eventTime).toString(), XSDDatatype.XSDdateTime)));
                added.addAll(observation);
                live.add(observation);
            }
            if ( rnd.nextInt(5) == 0 ) {
                int s = rnd.nextInt(5);
                Quad current = rooms.get(s);
                Quad moved = q("s" + s, "inRoom", uri("r" + rnd.nextInt(3)));
                if ( !moved.equals(current) ) {
                    removed.add(current);
                    added.add(moved);
                    rooms.set(s, moved);
                }
            }
            if ( rnd.nextInt(4) == 0 && live.size() > n )
                removed.addAll(live.remove(rnd.nextInt(live.size() - n)));
            out.add(new Commit(v, Instant.ofEpochMilli(t), added, removed));
        }
        return out;
    }

    private static Quad q(String s, String p, Node o) {
        return Quad.create(Quad.defaultGraphIRI, uri(s), uri(p), o);
    }

    private static Node uri(String local) {
        return NodeFactory.createURI(EX + local);
    }

    /** The in-server engine over the commits (as read back from the change log): each query's steps as JSON, in order. */
    static Map<String, List<String>> inServer(List<Commit> commits, List<ContinuousQuery> queries) {
        return inServer(commits, queries, Map.of());
    }

    /**
     * The same, with the passing of time: after the commit of each version in {@code advances}, the
     * engine advances to those times, in order (as the server's clock advances it between commits).
     */
    static Map<String, List<String>> inServer(List<Commit> commits, List<ContinuousQuery> queries, Map<Long, List<Instant>> advances) {
        Versions versions = new Versions(commits);
        Map<String, List<String>> out = new LinkedHashMap<>();
        try (StreamEngine engine = new StreamEngine("ds", StreamEngineConfig.DEFAULTS, versions::open)) {
            for ( ContinuousQuery q : queries ) {
                List<String> steps = new ArrayList<>();
                out.put(q.name(), steps);
                engine.register(q, (Step s) -> steps.add(canonical(JSON.toStringFlat(StepJson.of(s)))));
            }
            for ( Commit c : commits ) {
                engine.accept(c);
                advances.getOrDefault(c.version(), List.of()).forEach(engine::advanceTo);
            }
        }
        return out;
    }

    /** A step's JSON with the rows of its results sorted: row order is not defined without ORDER BY. */
    static String canonical(String json) {
        JsonObject o = JSON.parse(json);
        JsonValue results = o.get("results");
        if ( results != null && results.isObject() && results.getAsObject().get("results") != null ) {
            JsonObject inner = results.getAsObject().get("results").getAsObject();
            List<String> rows = new ArrayList<>();
            inner.get("bindings").getAsArray().forEach(b -> rows.add(JSON.toStringFlat(b)));
            rows.sort(null);
            JsonArray sorted = new JsonArray();
            rows.forEach(r -> sorted.add(JSON.parseAny(r)));
            inner.put("bindings", sorted);
        }
        return JSON.toStringFlat(o);
    }

    /**
     * The dataset at each version, by replaying the commits into fresh copies: the naive
     * reference for as-of reads. The engine reads the version it stands at or the next one, so
     * only the last two copies are kept.
     */
    private static final class Versions {
        private final List<Commit> commits;
        private DatasetGraph previous;
        private long previousVersion = -1;
        private DatasetGraph current = DatasetGraphFactory.createTxnMem();
        private long currentVersion;

        Versions(List<Commit> commits) {
            this.commits = commits;
        }

        DatasetGraph at(long version) {
            if ( currentVersion < version ) {
                // Versions no step read are applied in place; the one before the version asked is kept as a copy.
                while ( currentVersion < version - 1 ) {
                    Commit c = commits.get((int)currentVersion);
                    DatasetGraph d = current;
                    Txn.executeWrite(d, () -> apply(d, c));
                    currentVersion++;
                    previousVersion = -1;
                }
                DatasetGraph before = current;
                DatasetGraph next = DatasetGraphFactory.createTxnMem();
                Commit c = commits.get((int)currentVersion);
                Txn.executeWrite(next, () -> {
                    Txn.executeRead(before, () -> before.find().forEachRemaining(next::add));
                    apply(next, c);
                });
                previous = before;
                previousVersion = currentVersion;
                current = next;
                currentVersion++;
            }
            if ( version == currentVersion )
                return current;
            if ( version == previousVersion )
                return previous;
            throw new IllegalStateException("version " + version + " asked at version " + currentVersion);
        }

        private static void apply(DatasetGraph d, Commit c) {
            c.removed().forEach(d::delete);
            c.added().forEach(d::add);
        }

        VersionReader.View open(long version) {
            DatasetGraph d = at(version);
            d.begin(TxnType.READ);
            return new VersionReader.View() {
                @Override
                public DatasetGraph dataset() {
                    return d;
                }

                @Override
                public void close() {
                    d.end();
                }
            };
        }
    }
}
