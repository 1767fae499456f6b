package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;

/**
 * A random workload written through SPARQL Update to a server's dataset "ds", with a dump of the
 * dataset after each version it makes (dump 0: empty) and each version's commit time: what the
 * as-of tests compare reads of earlier versions with. Subjects s0..s3, predicates p0 and p1,
 * objects a subject or one of three literals.
 */
final class RandomVersions {
    private final CdcFuseki f;
    private final Random rnd;
    private final String[] graphs;
    private final int maxOps;
    private final List<Set<Quad>> dumps = new ArrayList<>();
    private final List<Instant> committed = new ArrayList<>();

    /** {@code graphs}: the graphs written to, null for the default graph; {@code maxOps}: the most operations in one update. */
    RandomVersions(CdcFuseki f, Random rnd, String[] graphs, int maxOps) {
        this.f = f;
        this.rnd = rnd;
        this.graphs = graphs;
        this.maxOps = maxOps;
        dumps.add(Set.of());
        committed.add(null);
    }

    /** Write random changes until the dataset has {@code versions} versions after 0. */
    void writeUntil(int versions) {
        while ( dumps.size() <= versions ) {
            StringBuilder u = new StringBuilder();
            int ops = 1 + rnd.nextInt(maxOps);
            for ( int i = 0 ; i < ops ; i++ ) {
                String g = graphs[rnd.nextInt(graphs.length)];
                String triple = "<http://example/s" + rnd.nextInt(4) + "> <http://example/p" + rnd.nextInt(2) + "> "
                                + (rnd.nextBoolean() ? "<http://example/s" + rnd.nextInt(4) + ">" : "\"v" + rnd.nextInt(3) + "\"") + " .";
                String data = g == null ? triple : "GRAPH <" + g + "> { " + triple + " }";
                u.append(rnd.nextInt(3) == 0 ? "DELETE DATA { " : "INSERT DATA { ").append(data).append(" } ;\n");
            }
            long before = f.runtime("ds").log().publishedVersion();
            HttpResponse<String> r = f.update("ds", u.toString());
            assertEquals(204, r.statusCode(), r.body());
            long after = f.runtime("ds").log().publishedVersion();
            if ( after == before )
                continue;
            assertEquals(dumps.size(), after);
            DatasetGraph dsg = f.dataset("ds");
            dumps.add(Txn.calculateRead(dsg, () -> dump(dsg)));
            committed.add(f.runtime("ds").log().read(after).meta().commitTime());
        }
    }

    /** The dataset after each version, by version; they grow as more is written. */
    List<Set<Quad>> dumps() {
        return dumps;
    }

    /** Each version's commit time, by version (none for version 0). */
    List<Instant> committed() {
        return committed;
    }

    /** A dataset's quads, the default graph's named {@link Quad#defaultGraphIRI}. */
    static Set<Quad> dump(DatasetGraph dsg) {
        Set<Quad> out = new HashSet<>();
        dsg.find().forEachRemaining(q -> out.add(Quad.create(q.isDefaultGraph() ? Quad.defaultGraphIRI : q.getGraph(), q.getSubject(),
                                                             q.getPredicate(), q.getObject())));
        return out;
    }

    static DatasetGraph copy(Set<Quad> quads) {
        DatasetGraph d = DatasetGraphFactory.create();
        quads.forEach(d::add);
        return d;
    }
}
