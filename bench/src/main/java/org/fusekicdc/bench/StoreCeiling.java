package org.fusekicdc.bench;

import java.nio.file.Path;
import java.util.Locale;

import org.apache.jena.riot.system.StreamRDF;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.system.progress.MonitorOutput;
import org.apache.jena.tdb2.DatabaseMgr;
import org.apache.jena.tdb2.loader.DataLoader;
import org.apache.jena.tdb2.loader.LoaderFactory;
import org.apache.jena.tdb2.sys.TDBInternal;

/**
 * How fast TDB2 itself takes the triples of {@link PostgresSourceBench}'s rows
 * ({@link SourceBenchTriples}), with no source and no capture, each way into a fresh database:
 * Jena's bulk loader, and plain write transactions of a fixed number of rows. The ceiling the
 * source's rates are set against: the source cannot write faster than the store it writes into.
 */
final class StoreCeiling {
    /** One measured write of {@code rows} rows. */
    record Rate(String what, int rows, double seconds, String load) {
        double rowsPerSecond() {
            return rows / seconds;
        }

        String figure() {
            return String.format(Locale.ROOT, "%d rows = %d triples in %.1f s: **%.0f rows/s, %.0f triples/s**, load %s", rows,
                                 (long)rows * SourceBenchTriples.PER_ROW, seconds, rowsPerSecond(), rowsPerSecond() * SourceBenchTriples.PER_ROW, load);
        }
    }

    /** Jena's TDB2 bulk loaders measured here ({@code tdb2.tdbloader --loader=...}). */
    enum Loader {
        SEQUENTIAL, BASIC;

        DataLoader create(DatasetGraph dsg) {
            MonitorOutput quiet = (fmt, args) -> {};
            return this == SEQUENTIAL ? LoaderFactory.sequentialLoader(dsg, quiet) : LoaderFactory.basicLoader(dsg, quiet);
        }
    }

    private StoreCeiling() {}

    /** Rows 1..{@code rows} through {@code loader} into a fresh database at {@code dir}, from the loader's start to its finish. */
    static Rate bulkLoad(Loader loader, int rows, Path dir) {
        DatasetGraph dsg = DatabaseMgr.connectDatasetGraph(dir.toString());
        try {
            DataLoader dataLoader = loader.create(dsg);
            long t0 = System.nanoTime();
            dataLoader.startBulk();
            StreamRDF stream = dataLoader.streamRDF();
            stream.start();
            for ( int id = 1 ; id <= rows ; id++ )
                SourceBenchTriples.row(id, stream::triple);
            stream.finish();
            dataLoader.finishBulk();
            double sec = (System.nanoTime() - t0) / 1e9;
            return new Rate("TDB2 bulk loader, " + loader.name().toLowerCase(Locale.ROOT), rows, sec, BenchStats.loadAverage());
        } finally {
            release(dsg, dir);
        }
    }

    /** Rows 1..{@code rows} in write transactions of {@code perTxn} rows ({@code dsg.add}) into a fresh database at {@code dir}. */
    static Rate writeTransactions(int rows, int perTxn, Path dir) {
        DatasetGraph dsg = DatabaseMgr.connectDatasetGraph(dir.toString());
        try {
            long t0 = System.nanoTime();
            for ( int first = 1 ; first <= rows ; first += perTxn ) {
                int from = first;
                int to = Math.min(rows, first + perTxn - 1);
                Txn.executeWrite(dsg, () -> {
                    for ( int id = from ; id <= to ; id++ )
                        SourceBenchTriples.row(id, t -> dsg.add(Quad.defaultGraphIRI, t.getSubject(), t.getPredicate(), t.getObject()));
                });
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            return new Rate("TDB2 write transactions of " + perTxn + " rows", rows, sec, BenchStats.loadAverage());
        } finally {
            release(dsg, dir);
        }
    }

    /** Closes the database and deletes its files, so the next measurement starts as empty and the run's disk use stays bounded. */
    private static void release(DatasetGraph dsg, Path dir) {
        TDBInternal.expel(dsg);
        BenchFiles.deleteTree(dir);
    }
}
