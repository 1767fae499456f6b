package org.fusekicdc.core.testing;

import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * A change log of each test's own (dataset "ds", no fsync, in a directory made for the test),
 * claimed for writing and closed after the test: a patch appended as text is published at once,
 * and comes back as a sink receives it.
 *
 * <pre>
 * &#64;RegisterExtension
 * final TestLog changes = new TestLog();
 * </pre>
 */
public final class TestLog extends PerTestLog {
    private LogWriter writer;

    /** The log, in the same directory each time (reopened, it keeps what it holds). */
    @Override
    protected void open(UnaryOperator<ChangeLogConfig> change) {
        log = ChangeLog.open(change.apply(ChangeLogConfig.defaults(dir().resolve("log"), "ds").withFsync(false)));
        writer = LogWriter.claim(log);
    }

    /**
     * Appends and publishes a patch that adds {@code quads} quads {@code <s_i> <p> "value i"} in
     * {@code graph} (an IRI in angle brackets, or "" for the default graph).
     */
    public PatchRecord appendAdds(int quads, String graph) {
        StringBuilder text = new StringBuilder("TX .\n");
        for ( int i = 0 ; i < quads ; i++ )
            text.append("A <http://example.org/s").append(i).append("> <http://example.org/p> \"value ").append(i).append("\" ")
                .append(graph.isEmpty() ? "" : graph + " ").append(".\n");
        text.append("TC .\n");
        return append(text.toString());
    }

    /** Appends the patch {@code text} and publishes it; returns it as a sink receives it. */
    public PatchRecord append(String text) {
        long v = writer.append((meta, out) -> out.write(text.getBytes(StandardCharsets.UTF_8))).version();
        writer.publish(v);
        return new PatchRecord("ds", log.read(v));
    }
}
