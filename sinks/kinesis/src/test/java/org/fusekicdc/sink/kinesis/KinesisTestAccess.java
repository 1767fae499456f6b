package org.fusekicdc.sink.kinesis;

import java.nio.file.Path;
import java.util.List;

/**
 * A local Kinesis implementation and a look at what a stream holds, for tests of other modules
 * (the packaged jar's test in dist), from this module's test jar.
 */
public final class KinesisTestAccess implements AutoCloseable {
    private final LocalKinesis kinesis;

    private KinesisTestAccess(LocalKinesis kinesis) {
        this.kinesis = kinesis;
    }

    /** kinesis-local started with its data in {@code dataDir}; the test is skipped (or fails under CI=true) without Node.js. */
    public static KinesisTestAccess start(Path dataDir) throws Exception {
        LocalKinesis k = new LocalKinesis(dataDir, false);
        k.start();
        return new KinesisTestAccess(k);
    }

    public String endpoint() {
        return kinesis.endpoint();
    }

    /** The versions of the whole patches {@code stream} holds for {@code dataset}, in order; none if the stream does not exist yet. */
    public List<Long> versions(String stream, String dataset) {
        return StreamRecords.patches(StreamRecords.readAll(kinesis, stream, dataset)).stream().map(d -> d.version()).toList();
    }

    @Override
    public void close() throws InterruptedException {
        kinesis.close();
    }
}
