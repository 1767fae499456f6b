package org.fusekicdc.core.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.binary.RDFChangesWriterBinary;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.changes.RDFChangesCollector;
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
 * Inputs: {@code src/test/resources/org/fusekicdc/core/follow/PatchRoundTripFuzzTestInputs/}, RDF
 * Patch text. See docs/testing.md.
 */
class PatchRoundTripFuzzTest {
    @FuzzTest
    void anAcceptedPatchReadsBackTheSameAsTextAndAsBinary(byte[] input) {
        RDFChangesCollector read = new RDFChangesCollector();
        try {
            new RDFPatchReaderText(new ByteArrayInputStream(input)).apply(read);
        } catch (RuntimeException ex) {
            // Jena's readers throw more than RiotException (NoSuchElementException for a bare word);
            // the follower sets aside any of them as a bad message. An Error is still a finding.
            return;
        }
        if ( !onlyRdfTerms(read) )
            return;   // the follower sets these aside (FollowerPatchFuzzTest, input variable-term)
        String text = text(read);
        RDFChangesCollector fromText = new RDFChangesCollector();
        new RDFPatchReaderText(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))).apply(fromText);
        assertEquals(text, text(fromText), "the patch read back from its text");

        ByteArrayOutputStream bin = new ByteArrayOutputStream();
        RDFChangesWriterBinary.writeBinary(bin, read.getRDFPatch()::apply);
        RDFChangesCollector fromBinary = new RDFChangesCollector();
        RDFPatchReaderBinary.read(new ByteArrayInputStream(bin.toByteArray()), fromBinary);
        assertEquals(text, text(fromBinary), "the patch read back from its binary form");
    }

    /**
     * Whether every term of the patch is an RDF term (Jena's text reader also takes variables and
     * ANY) and every header name a word: the follower sets aside other patches.
     */
    private static boolean onlyRdfTerms(RDFChangesCollector changes) {
        boolean[] concrete = {true};
        changes.getRDFPatch().apply(new RDFChangesBase() {
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
                concrete[0] &= field.matches("[A-Za-z][A-Za-z0-9_-]*");
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
                    concrete[0] &= n == null || n.isConcrete();
            }
        });
        return concrete[0];
    }

    private static String text(RDFChangesCollector changes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RDFChangesWriterText w = RDFChangesWriterText.create(out);
        changes.getRDFPatch().apply(w);
        w.finish();
        return out.toString(StandardCharsets.UTF_8);
    }
}
