package org.fusekicdc.rsp;

import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;

/**
 * A dataset and its change stream for tests: each {@link #commit} makes the next version,
 * and {@link #reader()} opens any version by replaying the commits into a fresh dataset
 * (the naive reference for as-of reads).
 */
final class TestStream {
    static final String PREFIXES = """
        PREFIX cdc:  <https://w3id.org/fuseki-cdc#>
        PREFIX ex:   <http://example.org/>
        PREFIX sosa: <http://www.w3.org/ns/sosa/>
        PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
        """;

    private final List<Commit> commits = new ArrayList<>();
    private final StreamEngine engine;
    private final List<Step> steps = new ArrayList<>();
    private final List<LateEvent> late = new ArrayList<>();
    private final List<ContinuousQueryException> failures = new ArrayList<>();
    private final java.util.Map<Long, DatasetGraph> versions = new java.util.HashMap<>();

    TestStream() {
        this(StreamEngineConfig.DEFAULTS);
    }

    TestStream(StreamEngineConfig config) {
        engine = new StreamEngine("test", config, this::open);
    }

    StreamEngine engine() {
        return engine;
    }

    List<Commit> commits() {
        return commits;
    }

    /** Register a query whose steps, late events and failure are collected here. */
    void register(String rspql) {
        engine.register(ContinuousQuery.parse(PREFIXES + rspql), collector());
    }

    StepListener collector() {
        return new StepListener() {
            @Override
            public void step(Step step) {
                steps.add(step);
            }

            @Override
            public void late(LateEvent event) {
                late.add(event);
            }

            @Override
            public void failed(String query, ContinuousQueryException error) {
                failures.add(error);
            }
        };
    }

    List<Step> steps() {
        return steps;
    }

    List<LateEvent> late() {
        return late;
    }

    List<ContinuousQueryException> failures() {
        return failures;
    }

    /** A commit at {@code time} adding the TriG/Turtle {@code added} (prefixes ex:, sosa:, xsd: known) and removing {@code removed}. */
    Commit commit(Instant time, String added, String removed) {
        Commit c = new Commit(commits.size() + 1, time, quads(added), quads(removed));
        commits.add(c);
        engine.accept(c);
        return c;
    }

    Commit commit(Instant time, String added) {
        return commit(time, added, "");
    }

    Commit commit(Instant time, List<Quad> added, List<Quad> removed) {
        Commit c = new Commit(commits.size() + 1, time, added, removed);
        commits.add(c);
        engine.accept(c);
        return c;
    }

    static List<Quad> quads(String trig) {
        if ( trig.isBlank() )
            return List.of();
        DatasetGraph d = DatasetGraphFactory.create();
        RDFParser.create().source(new StringReader(PREFIXES + trig))
            .lang(Lang.TRIG).parse(d);
        List<Quad> out = new ArrayList<>();
        d.find().forEachRemaining(q -> out.add(q.isDefaultGraph() ? Quad.create(Quad.defaultGraphIRI, q.asTriple()) : q));
        return out;
    }

    /** The dataset at {@code version}: the commits up to it applied in order to an empty dataset (copies kept per version). */
    DatasetGraph datasetAt(long version) {
        DatasetGraph d = versions.get(version);
        if ( d != null )
            return d;
        DatasetGraph before = version == 0 ? DatasetGraphFactory.createTxnMem() : datasetAt(version - 1);
        DatasetGraph next = DatasetGraphFactory.createTxnMem();
        Txn.executeWrite(next, () -> {
            if ( version > 0 ) {
                Txn.executeRead(before, () -> before.find().forEachRemaining(next::add));
                Commit c = commits.get((int)version - 1);
                c.removed().forEach(next::delete);
                c.added().forEach(next::add);
            }
        });
        versions.put(version, next);
        return next;
    }

    VersionReader.View open(long version) {
        DatasetGraph d = datasetAt(version);
        d.begin(org.apache.jena.query.TxnType.READ);
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

    VersionReader reader() {
        return this::open;
    }
}
