package org.fusekicdc.core.testing;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;

/**
 * An in-memory dataset captured into a change log (dataset "ds"), each test's own, in a
 * directory made for the test and deleted after it, with the log closed; commits on demand, each
 * adding a quad of its own.
 *
 * <pre>
 * &#64;RegisterExtension
 * final TestCapture capture = new TestCapture();
 * </pre>
 */
public final class TestCapture extends PerTestLog {
    private Path logDir;
    private CapturingDatasetGraph dsg;
    private int logs;
    private long quads;

    public CapturingDatasetGraph dsg() {
        return dsg;
    }

    /** The directory of the log's segments. */
    public Path logDir() {
        return logDir;
    }

    /** A new, empty log each time (reopened, the dataset is captured into a log of its own), and a new dataset captured into it. */
    @Override
    protected void open(UnaryOperator<ChangeLogConfig> change) {
        logDir = dir().resolve(++logs == 1 ? "log" : "log" + logs);
        log = ChangeLog.open(change.apply(ChangeLogConfig.defaults(logDir, "ds")));
        dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir().resolve("spill")));
    }

    /** {@code n} commits, each adding a quad no other commit adds: one version each. */
    public void commits(int n) {
        for ( int i = 0 ; i < n ; i++ ) {
            String quad = "(:g :s :p " + ++quads + ")";
            Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad(quad)));
        }
    }
}
