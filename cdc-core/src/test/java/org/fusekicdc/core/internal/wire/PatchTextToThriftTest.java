package org.fusekicdc.core.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.jena.rdfpatch.changes.RDFChangesWrapper;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binary written straight from the text is, byte for byte, what Jena's reader and binary
 * writer make of the same text: for patches as the change log writes them (converted here
 * whole), and for text the fast path leaves to Jena (from the row it does not recognise on).
 */
class PatchTextToThriftTest {
    private static final String NS = "http://example.org/";

    @TempDir
    Path dir;

    // ---- Random patches written by Jena's text writer, the change log's own form

    @Test
    void randomPatchesOfEveryTermKindGiveJenasBytesWithoutJena() throws IOException {
        Random random = new Random(23);
        for ( int i = 0 ; i < 400 ; i++ ) {
            byte[] text = randomPatch(random, false);
            assertTrue(assertSameAsJena(text), () -> "went to Jena:\n" + new String(text, StandardCharsets.UTF_8));
        }
    }

    @Test
    void randomPatchesWithFormsLeftToJenaGiveJenasBytes() throws IOException {
        Random random = new Random(2023);
        int leftToJena = 0;
        for ( int i = 0 ; i < 400 ; i++ ) {
            if ( !assertSameAsJena(randomPatch(random, true)) )
                leftToJena++;
        }
        assertTrue(leftToJena > 50, "only " + leftToJena + " patches exercised the fallback");
    }

    @Test
    void binaryReadsBackAsTheTextsChanges() throws IOException {
        Random random = new Random(7);
        for ( int i = 0 ; i < 100 ; i++ ) {
            byte[] text = randomPatch(random, false);
            ByteArrayOutputStream bin = new ByteArrayOutputStream();
            PatchTextToThrift.transcode(new ByteArrayInputStream(text), bin);
            String fromBinary = RDFPatchOps.str(RDFPatchReaderBinary.read(new ByteArrayInputStream(bin.toByteArray())));
            String fromText = RDFPatchOps.str(RDFPatchOps.read(new ByteArrayInputStream(text)));
            assertEquals(fromText, fromBinary);
        }
    }

    // ---- Hand-written text: what the fast path takes, and what it leaves to Jena

    @Test
    void formsTheLogWritesAreConvertedHere() throws IOException {
        List<String> fast = List.of(
            "H id <uuid:0c5f0e2a-1f7b-4f5e-9c1e-5a8f0f3e2d11> .\nH version 12 .\nTX .\nTC .\n",
            "TX .\nA <http://e/s> <http://e/p> \"a \\\"b\\\" \\\\ \\n\\t\\r\\f\" <http://e/g> .\nTC .\n",
            "A <_:b0> <http://e/p> <_:0123abcd> <_:g> .\n",
            "A <http://e/s> <http://e/p> \"x\"@EN-gb .\nD <http://e/s> <http://e/p> \"y\"@zh-hant-tw .\n",
            "A <http://e/s> <http://e/p> 12 .\nA <http://e/s> <http://e/p> -1.5 .\nA <http://e/s> <http://e/p> .5 .\n",
            "A <http://e/s> <http://e/p> 1e5 .\nA <http://e/s> <http://e/p> -2.5E-3 .\nA <http://e/s> <http://e/p> +7 .\n",
            "A <http://e/s> <http://e/p> true .\nA <http://e/s> <http://e/p> false .\n",
            "A <http://e/s> <http://e/p> \"x\"^^<http://www.w3.org/2001/XMLSchema#string> .\n",
            "A <http://e/s> <http://e/p> \"2026-12-06T07:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n",
            "A <http://e/é> <http://e/p> \"ü 中 😀 \\uFFFD \\u00e9 \\U0001F600 \\b \\'\" .\n",
            "PA \"ex\" \"http://e/ns#\" .\nPA \"\" <http://e/ns#> .\nPD \"ex\" .\n",
            "PA \"ex\" <http://e/ns#> <http://e/g> .\nPD \"ex\" <http://e/g> .\n",
            "TX .\nZ .\nTA .\n",
            "");
        for ( String t : fast )
            assertTrue(assertSameAsJena(t.getBytes(StandardCharsets.UTF_8)), t);
    }

    @Test
    void otherFormsGoToJenaFromTheirRow() throws IOException {
        List<String> others = List.of(
            "TX .\nA <http://e/s> <http://e/p> <<( <http://e/a> <http://e/b> <http://e/c> )>> .\nTC .\n",
            "TX .\nA <http://e/s> <http://e/p> \"x\"@en--ltr .\nTC .\n",
            "TX .\nA _:b0 <http://e/p> _:b1 .\nTC .\n",
            "TB .\nA <http://e/s> <http://e/p> 'single' .\nTC .\n",
            "# a comment\nTX .\nTC .\n",
            "TX .\nA <http://e/s>  <http://e/p> <http://e/o> .\nTC .\n",
            "TX .\nA <http://e/s>\t<http://e/p> <http://e/o> .\nTC .\n",
            "TX .\r\nA <http://e/s> <http://e/p> <http://e/o> .\r\nTC .\r\n",
            "TX .\nA <http://e/s> <http://e/p> \"\"\"long\nstring\"\"\" .\nTC .\n",
            "TX .\nA <http://e/s> <http://e/p> \"\\u{41}\" .\nTC .\n",
            "TX .\nA <http://e/s\\u0020x> <http://e/p> \"raw \u0001 control\" .\nTC .\n",
            "TX .\nA <http://e/s> <http://e/p> \"x\" ^^<http://e/dt> .\nTC .\n",
            "TX .\nA <http://e/s> <http://e/p> ex:local .\nTC .\n",
            "TX .\nH \"quoted\" \"field\" .\nTC .\n",
            "TX .\nTC .",
            "\nTX .\nTC .\n");
        for ( String t : others )
            assertFalse(assertSameAsJena(t.getBytes(StandardCharsets.UTF_8)), t);
    }

    @Test
    void textThatIsNotWellFormedUtf8GoesToJena() throws IOException {
        byte[] text = "TX .\nA <http://e/s> <http://e/p> \"a?b\" .\nTC .\n".getBytes(StandardCharsets.US_ASCII);
        for ( int bad : new int[] {0x80, 0xC0, 0xED, 0xF8} ) {
            byte[] t = text.clone();
            t[new String(t, StandardCharsets.US_ASCII).indexOf('?')] = (byte)bad;
            assertFalse(assertSameAsJena(t));
        }
    }

    @Test
    void malformedTextFailsAsJenaFails() throws IOException {
        List<String> broken = List.of(
            "TX .\nA <http://e/s> <http://e/p> .\nTC .\n",
            "TX .\nQ <http://e/s> .\n",
            "TX .\nA <http://e/s> <http://e/p> \"open\n",
            "TX .\nA <http://e/s> <http://e/p> \"x\"@en-- .\n",
            "TX .\nA <http://e/s> <http://e/p> \"\\uD800\" .\n",
            "TX .\nA <http://e/s> <http://e/p> 1e .\n",
            "TX .\nA <http://e/s> <http://e/p> 0x1F .\n");
        for ( String t : broken ) {
            byte[] text = t.getBytes(StandardCharsets.UTF_8);
            Class<?> jena = failure(() -> PatchTextToThrift.viaJena(new ByteArrayInputStream(text), UnaryOperator.identity(), new ByteArrayOutputStream()));
            Class<?> here = failure(() -> PatchTextToThrift.transcode(new ByteArrayInputStream(text), new ByteArrayOutputStream()));
            assertNotNull(jena, t);
            assertEquals(jena, here, t);
        }
    }

    @Test
    void longStringsLinesAndPatchesGiveJenasBytes() throws IOException {
        String s200 = "é".repeat(100);
        String s20k = "x".repeat(20_000);
        String huge = "y".repeat(PatchTextToThrift.MAX_LINE + 10);
        assertTrue(assertSameAsJena(("A <http://e/s> <http://e/p> \"" + s200 + "\" .\nA <http://e/" + s20k + "> <http://e/p> \"" + s20k + "\" .\n")
                                        .getBytes(StandardCharsets.UTF_8)));
        assertFalse(assertSameAsJena(("TX .\nA <http://e/s> <http://e/p> \"" + huge + "\" .\nTC .\n").getBytes(StandardCharsets.UTF_8)));
        StringBuilder many = new StringBuilder("TX .\n");
        for ( int i = 0 ; i < 5_000 ; i++ )
            many.append("A <http://e/s").append(i).append("> <http://e/p> \"v").append(i).append("\"@de .\n");
        many.append("TC .\n");
        byte[] text = many.toString().getBytes(StandardCharsets.UTF_8);
        assertTrue(assertSameAsJena(text));
        // Rows cut at every byte boundary by a stream that gives one byte a read.
        ByteArrayOutputStream oneByOne = new ByteArrayOutputStream();
        assertTrue(PatchTextToThrift.transcode(new OneByteAtATime(text), oneByOne));
        assertArrayEquals(jena(text), oneByOne.toByteArray());
    }

    // ---- Through the change log and the public format

    @Test
    void capturedPatchesConvertHereAndFiltersUseJena() throws IOException {
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds").withFsync(false))) {
            // A spill threshold of 10: the second transaction's changes go through the spill files' text.
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log,
                                                                     CaptureConfig.defaults(dir.resolve("spill")).withSpillThreshold(10));
            Random random = new Random(5);
            Txn.executeWrite(dsg, () -> {
                dsg.prefixes().add("ex", NS);
                for ( int i = 0 ; i < 5 ; i++ )
                    dsg.add(Quad.create(pick(random, Quad.defaultGraphIRI, iri(random)), iri(random), iri(random), randomTerm(random, false)));
            });
            Txn.executeWrite(dsg, () -> {
                dsg.prefixes().delete("ex");
                for ( int i = 0 ; i < 50 ; i++ )
                    dsg.add(Quad.create(pick(random, Quad.defaultGraphIRI, iri(random)), iri(random), iri(random), randomTerm(random, false)));
            });
            assertEquals(2, log.headVersion());
            for ( long v = 1 ; v <= 2 ; v++ ) {
                PatchRecord patch = new PatchRecord("ds", log.read(v));
                byte[] text;
                try (InputStream in = patch.openText()) {
                    text = in.readAllBytes();
                }
                ByteArrayOutputStream viaFormat = new ByteArrayOutputStream();
                MessageFormats.BINARY.write(patch, viaFormat);
                assertArrayEquals(jena(text), viaFormat.toByteArray());
                assertTrue(assertSameAsJena(text), "the log's own text went to Jena");
                ByteArrayOutputStream viaRecord = new ByteArrayOutputStream();
                patch.writeTo(PatchRecord.BINARY, viaRecord);
                assertArrayEquals(jena(text), viaRecord.toByteArray());

                // A filter (here one that drops deletes) reads the changes with Jena.
                ByteArrayOutputStream filtered = new ByteArrayOutputStream();
                UnaryOperator<org.apache.jena.rdfpatch.RDFChanges> addsOnly = c -> new RDFChangesWrapper(c) {
                    @Override
                    public void delete(Node g, Node s, Node p, Node o) {}
                };
                MessageFormats.BINARY.write(patch, addsOnly, filtered);
                ByteArrayOutputStream expected = new ByteArrayOutputStream();
                PatchTextToThrift.viaJena(new ByteArrayInputStream(text), addsOnly, expected);
                assertArrayEquals(expected.toByteArray(), filtered.toByteArray());
            }
            dsg.close();
        }
    }

    // ---- Helpers

    /**
     * Asserts the bytes are Jena's, or that both fail alike; true when the whole patch was
     * converted here.
     */
    private static boolean assertSameAsJena(byte[] text) throws IOException {
        ByteArrayOutputStream here = new ByteArrayOutputStream();
        boolean[] fast = {false};
        Class<?> failedHere = failure(() -> fast[0] = PatchTextToThrift.transcode(new ByteArrayInputStream(text), here));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        Class<?> failedInJena = failure(() -> PatchTextToThrift.viaJena(new ByteArrayInputStream(text), UnaryOperator.identity(), expected));
        assertEquals(failedInJena, failedHere, () -> "for text:\n" + new String(text, StandardCharsets.UTF_8));
        if ( failedInJena == null && !Arrays.equals(expected.toByteArray(), here.toByteArray()) )
            assertEquals(hex(expected.toByteArray()), hex(here.toByteArray()), () -> "for text:\n" + new String(text, StandardCharsets.UTF_8));
        return fast[0];
    }

    private static byte[] jena(byte[] text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PatchTextToThrift.viaJena(new ByteArrayInputStream(text), UnaryOperator.identity(), out);
        return out.toByteArray();
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for ( byte x : b )
            sb.append(String.format("%02x ", x & 0xFF));
        return sb.toString();
    }

    private interface Action {
        void run() throws Exception;
    }

    private static Class<?> failure(Action action) {
        try {
            action.run();
            return null;
        } catch (Exception ex) {
            return ex.getClass();
        }
    }

    private static byte[] randomPatch(Random r, boolean unusual) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RDFChangesWriterText w = RDFChangesWriterText.create(out);
        w.header("id", NodeFactory.createURI("uuid:" + new java.util.UUID(r.nextLong(), r.nextLong())));
        if ( r.nextBoolean() )
            w.header("version", NodeFactory.createLiteralDT(Long.toString(r.nextInt(1_000_000)), XSDDatatype.XSDinteger));
        if ( r.nextBoolean() )
            w.header("user", randomTerm(r, unusual));
        w.txnBegin();
        int rows = r.nextInt(30);
        for ( int i = 0 ; i < rows ; i++ ) {
            switch ( r.nextInt(10) ) {
                case 0 -> w.addPrefix(unusual && r.nextBoolean() ? iri(r) : null, "p" + r.nextInt(5), NS + "ns" + r.nextInt(5) + "#");
                case 1 -> w.deletePrefix(unusual && r.nextBoolean() ? iri(r) : null, "p" + r.nextInt(5));
                case 2 -> w.segment();
                case 3, 4, 5 -> w.delete(randomGraph(r, unusual), randomSubject(r), iri(r), randomTerm(r, unusual));
                default -> w.add(randomGraph(r, unusual), randomSubject(r), iri(r), randomTerm(r, unusual));
            }
        }
        if ( r.nextInt(5) == 0 )
            w.txnAbort();
        else
            w.txnCommit();
        w.finish();
        return out.toByteArray();
    }

    private static Node randomGraph(Random r, boolean unusual) {
        return switch ( r.nextInt(unusual ? 5 : 4) ) {
            case 0 -> null;
            case 1 -> Quad.defaultGraphIRI;
            case 2 -> iri(r);
            case 3 -> NodeFactory.createURI(NS + "graph/" + r.nextInt(10));
            default -> NodeFactory.createBlankNode();
        };
    }

    private static Node randomSubject(Random r) {
        return r.nextInt(4) == 0 ? NodeFactory.createBlankNode() : iri(r);
    }

    private static Node iri(Random r) {
        return NodeFactory.createURI(NS + pick(r, "item/", "é/", "中/", "a%20b/", "x#", "") + r.nextInt(1000));
    }

    private static Node randomTerm(Random r, boolean unusual) {
        return switch ( r.nextInt(unusual ? 13 : 11) ) {
            case 0 -> iri(r);
            case 1 -> NodeFactory.createBlankNode();
            case 2 -> NodeFactory.createLiteralString(text(r, unusual, 12));
            case 3 -> NodeFactory.createLiteralLang(text(r, unusual, 8), pick(r, "en", "en-GB", "de-CH-1996", "zh-Hant-TW", "x-private", "sgn-BE-FR"));
            case 4 -> NodeFactory.createLiteralDT(pick(r, "0", "-12", "+7", "123456789012345678901234567890", "abc", "1.0"), XSDDatatype.XSDinteger);
            case 5 -> NodeFactory.createLiteralDT(pick(r, "1.5", "-0.25", ".5", "+3.0", "1.", "7", "x"), XSDDatatype.XSDdecimal);
            case 6 -> NodeFactory.createLiteralDT(pick(r, "1e5", "-1.5E-3", ".5e1", "NaN", "INF", "1.0"), XSDDatatype.XSDdouble);
            case 7 -> NodeFactory.createLiteralDT(pick(r, "true", "false", "1", "0"), XSDDatatype.XSDboolean);
            case 8 -> NodeFactory.createLiteralDT(text(r, unusual, 10), pick(r, XSDDatatype.XSDdateTime, XSDDatatype.XSDstring, XSDDatatype.XSDint,
                                                                                   new org.apache.jena.datatypes.BaseDatatype(NS + "dt")));
            case 9 -> NodeFactory.createLiteralString(text(r, unusual, 200 + r.nextInt(20_000)));
            case 10 -> NodeFactory.createLiteralDT(Long.toString(r.nextLong()), XSDDatatype.XSDinteger);
            case 11 -> NodeFactory.createTripleTerm(iri(r), iri(r), randomTerm(r, false));
            default -> NodeFactory.createLiteralDirLang(text(r, unusual, 5), "en", pick(r, "ltr", "rtl"));
        };
    }

    private static String text(Random r, boolean unusual, int length) {
        String[] common = {"a", "b", "Z", "0", " ", ".", "\"", "\\", "\n", "\t", "\r", "\f", "'", "@", "^", "<", ">", "é", "中", "😀", "\uFFFD", "\uD800"};
        String[] odd = {"\b", "\u0001", "\u007F", "\u001F"};
        StringBuilder sb = new StringBuilder();
        for ( int i = 0 ; i < length ; i++ ) {
            if ( unusual && r.nextInt(20) == 0 )
                sb.append(odd[r.nextInt(odd.length)]);
            else
                sb.append(common[r.nextInt(common.length)]);
        }
        return sb.toString();
    }

    @SafeVarargs
    private static <T> T pick(Random r, T... choices) {
        return choices[r.nextInt(choices.length)];
    }

    /** An input stream that gives at most one byte a read, as a slow channel may. */
    private static final class OneByteAtATime extends InputStream {
        private final ByteArrayInputStream in;

        OneByteAtATime(byte[] bytes) {
            this.in = new ByteArrayInputStream(bytes);
        }

        @Override
        public int read() {
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return in.read(b, off, Math.min(len, 1));
        }
    }
}
