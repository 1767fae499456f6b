package org.fusekicdc.core.internal.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.RDFChanges;
import org.apache.jena.rdfpatch.binary.RDFChangesWriterBinary;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.changes.RDFChangesN;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;

/**
 * Jena's RDF Patch text reader, as the change log and a follower use it, on any bytes: a patch
 * it accepts, of RDF terms only (the follower sets aside the others), is written again, as text
 * (as the change log writes it) and as binary (as sinks publish it with
 * {@code application/rdf-patch+thrift}), and reads back to the same changes; what it refuses is
 * refused with an exception, which the follower turns into a bad message, never with an Error
 * such as StackOverflowError.
 * <p>
 * Inputs: {@code src/test/resources/org/fusekicdc/core/internal/follow/PatchRoundTripFuzzTestInputs/}, RDF
 * Patch text. See docs/testing.md.
 */
class PatchRoundTripFuzzTest {
    @FuzzTest
    void anAcceptedPatchReadsBackTheSameAsTextAndAsBinary(byte[] input) {
        // Streamed, not collected: Jena's collector refuses a header given twice, which its reader and the follower take.
        TermCheck check = new TermCheck();
        String text;
        try {
            text = text(out -> new RDFPatchReaderText(new ByteArrayInputStream(input)).apply(new RDFChangesN(check, out)));
        } catch (RuntimeException ex) {
            // Jena's readers throw more than RiotException (NoSuchElementException for a bare word);
            // the follower sets aside any of them as a bad message. An Error is still a finding.
            return;
        }
        if ( !check.onlyRdfTerms )
            return;   // the follower sets these aside (FollowerPatchFuzzTest, input variable-term)
        assertEquals(text, text(out -> readText(text, out)), "the patch read back from its text");

        ByteArrayOutputStream bin = new ByteArrayOutputStream();
        RDFChangesWriterBinary.writeBinary(bin, out -> readText(text, out));
        assertEquals(text, text(out -> RDFPatchReaderBinary.read(new ByteArrayInputStream(bin.toByteArray()), out)),
                     "the patch read back from its binary form");
    }

    private static void readText(String text, RDFChanges out) {
        new RDFPatchReaderText(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))).apply(out);
    }

    /**
     * Whether every term of the patch is an RDF term (Jena's text reader also takes variables and
     * ANY) and every header name a word: the follower sets aside other patches.
     */
    private static final class TermCheck extends RDFChangesBase {
        boolean onlyRdfTerms = true;

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            check(g, s, p, o);
        }

        @Override
        public void delete(Node g, Node s, Node p, Node o) {
            check(g, s, p, o);
        }

        @Override
        public void header(String field, Node value) {
            onlyRdfTerms &= field.matches("[A-Za-z][A-Za-z0-9_-]*");
            check(value);
        }

        @Override
        public void addPrefix(Node gn, String prefix, String uriStr) {
            check(gn);
        }

        @Override
        public void deletePrefix(Node gn, String prefix) {
            check(gn);
        }

        private void check(Node... terms) {
            for ( Node n : terms )
                onlyRdfTerms &= n == null || n.isConcrete();
        }
    }

    /** The changes {@code source} gives, as the change log's text. */
    private static String text(Consumer<RDFChanges> source) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RDFChangesWriterText w = RDFChangesWriterText.create(out);
        source.accept(w);
        w.finish();
        return out.toString(StandardCharsets.UTF_8);
    }
}
