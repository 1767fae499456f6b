package org.fusekicdc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.apache.jena.atlas.io.IOX;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.LogWriter;

/**
 * What checking every record costs a reader: a log of small patches and one of large ones are
 * written (no fsync), then read as the change feed reads them, from the page cache: the checked
 * {@code ChangeLog.read} of each version (marker, version, length, CRC32C over the whole record),
 * then the payload streamed out. Also times opening the log, which checks every record header.
 * Reports the median of the rounds and the check's share of a served read.
 * <p>
 * Settings (system properties): bench.rounds (5), bench.dir (a temporary directory, deleted at the end).
 * <pre>java -Xmx1g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.LogReadBench</pre>
 */
public final class LogReadBench {
    private record Shape(String name, int records, int payloadBytes) {}

    private static final List<Shape> SHAPES = List.of(new Shape("small", 50_000, 2 * 1024), new Shape("large", 12, 16 * 1024 * 1024));

    public static void main(String... args) throws IOException {
        int rounds = Integer.getInteger("bench.rounds", 5);
        String dirProperty = System.getProperty("bench.dir");
        Path root = dirProperty != null ? Files.createDirectories(Path.of(dirProperty)) : Files.createTempDirectory("fuseki-cdc-logread-");
        try {
            for ( Shape shape : SHAPES )
                run(shape, root.resolve(shape.name()), rounds);
        } finally {
            if ( dirProperty == null )
                IOX.deleteAll(root);
        }
    }

    private static void run(Shape shape, Path dir, int rounds) {
        ChangeLogConfig config = ChangeLogConfig.defaults(dir, "ds").withFsync(false);
        byte[] payload = new byte[shape.payloadBytes()];
        new Random(1).nextBytes(payload);
        try (ChangeLog log = ChangeLog.open(config)) {
            LogWriter writer = LogWriter.claim(log);
            for ( int i = 0 ; i < shape.records() ; i++ )
                writer.publish(writer.append((meta, out) -> out.write(payload)).version());
        }
        double mb = (double)shape.records() * shape.payloadBytes() / (1024 * 1024);
        double[] open = new double[rounds];
        double[] read = new double[rounds];
        double[] stream = new double[rounds];
        for ( int r = 0 ; r < rounds ; r++ ) {
            long t0 = System.nanoTime();
            try (ChangeLog log = ChangeLog.open(config)) {
                long t1 = System.nanoTime();
                List<LogRecord> records = new ArrayList<>(shape.records());
                for ( long v = 1 ; v <= log.headVersion() ; v++ )
                    records.add(log.read(v));
                long t2 = System.nanoTime();
                for ( LogRecord rec : records ) {
                    try (InputStream in = rec.openPayload()) {
                        in.transferTo(OutputStream.nullOutputStream());
                    }
                }
                long t3 = System.nanoTime();
                open[r] = (t1 - t0) / 1e9;
                read[r] = (t2 - t1) / 1e9;
                stream[r] = (t3 - t2) / 1e9;
            } catch (IOException ex) {
                throw new IllegalStateException(ex);
            }
        }
        double o = median(open), c = median(read), s = median(stream);
        System.out.printf(Locale.ROOT, "%-5s %6d records x %8d bytes (%5.0f MB), median of %d: open %6.3f s | checked read %6.3f s (%6.0f MB/s)"
                                       + " | stream %6.3f s (%6.0f MB/s) | check share of a served read %4.1f%%%n",
                          shape.name(), shape.records(), shape.payloadBytes(), mb, rounds, o, c, mb / c, s, mb / s, 100 * c / (c + s));
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
