package org.fusekicdc.core.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.fusekicdc.core.wire.PatchRecord;
import org.junit.jupiter.api.Assumptions;

/** Small helpers the sink tests share: waiting, ports, server binaries, reading patches back. */
public final class TestSupport {
    private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

    private TestSupport() {}

    /** Wait until {@code condition} holds; fail naming {@code what} after {@code timeout}. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while ( !condition.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                fail("Timed out after " + timeout.toSeconds() + " s waiting for: " + what);
            Thread.sleep(20);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A patch message's body, text or binary by its content type. */
    public static RDFPatch parsePatch(String contentType, byte[] data) {
        try (InputStream in = new ByteArrayInputStream(data)) {
            return PatchRecord.BINARY.equals(contentType) ? RDFPatchReaderBinary.read(in) : RDFPatchOps.read(in);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * A server binary, on PATH or in {@code fallbackDir}; without one the test is skipped loudly,
     * or fails under {@code CI=true}.
     */
    public static Path serverBinary(String name, String fallbackDir, String neededBy) {
        List<Path> candidates = new ArrayList<>();
        for ( String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator) ) {
            if ( !dir.isEmpty() )
                candidates.add(Path.of(dir, name));
        }
        candidates.add(Path.of(fallbackDir, name));
        for ( Path p : candidates ) {
            if ( Files.isExecutable(p) )
                return p;
        }
        skipOrFail(name + " binary not found on PATH or in " + fallbackDir + "; " + neededBy + " needs one.");
        return null;
    }

    /**
     * Something a test needs is missing: skip the test with a loud message, or fail it under
     * {@code CI=true}, where everything must be there.
     */
    public static void skipOrFail(String problem) {
        if ( CI )
            fail(problem + " CI=true: failing instead of skipping.");
        System.err.println("*** SKIPPING: " + problem);
        Assumptions.abort(problem);
    }
}
