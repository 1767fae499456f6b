package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.UUID;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.jena.rdfpatch.system.Id;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * Checks on what a topic holds, made with Jena's own patch readers: versions, the id/prev
 * chain, and the data the patches rebuild.
 */
final class PatchChecks {
    private PatchChecks() {}

    /** Records, one per patch (no parts), are versions 1..n, each once, in order. */
    static void assertVersionsOnceInOrder(List<ConsumerRecord<byte[], byte[]>> records, long n) {
        for ( int i = 0 ; i < records.size() ; i++ ) {
            ConsumerRecord<byte[], byte[]> r = records.get(i);
            assertEquals(i + 1, TopicRecords.version(r), () -> "record " + TopicRecords.describe(r) + " out of place; versions "
                                                               + records.stream().map(TopicRecords::version).toList());
            assertEquals("1", TopicRecords.header(r, PatchMessages.PARTS), "whole patch in one record");
        }
        assertEquals(n, records.size(), "number of records (one per version)");
    }

    /** Parse each record's value (text or binary by its Content-Type) with Jena, check the chain, apply to a new dataset. */
    static DatasetGraph replay(List<ConsumerRecord<byte[], byte[]>> records, String dataset) {
        DatasetGraph replay = DatasetGraphFactory.createTxnMem();
        String prev = null;
        for ( ConsumerRecord<byte[], byte[]> r : records ) {
            RDFPatch p = parse(TopicRecords.header(r, PatchMessages.CONTENT_TYPE), new ByteArrayInputStream(r.value()));
            checkHeaders(p, TopicRecords.header(r, PatchMessages.ID), TopicRecords.header(r, PatchMessages.PREV), TopicRecords.version(r), prev, dataset);
            assertEquals(dataset, new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), "record key");
            RDFPatchOps.applyChange(replay, p);
            prev = TopicRecords.header(r, PatchMessages.ID);
        }
        return replay;
    }

    static RDFPatch parse(String contentType, InputStream in) {
        return PatchRecord.BINARY.equals(contentType) ? RDFPatchReaderBinary.read(in) : RDFPatchOps.read(in);
    }

    /** The patch's own headers agree with the record headers and continue the chain from {@code expectedPrev}. */
    static void checkHeaders(RDFPatch p, String cdcId, String cdcPrev, long version, String expectedPrev, String dataset) {
        assertEquals(Long.toString(version), p.getHeader(PatchHeaders.VERSION).getLiteralLexicalForm(), "patch version header");
        assertEquals(Id.fromUUID(UUID.fromString(cdcId)).asNode(), p.getHeader(PatchHeaders.ID), "patch id header of version " + version);
        assertEquals(dataset, p.getHeader(PatchHeaders.DATASET).getLiteralLexicalForm(), "dataset header");
        Node prevHeader = p.getHeader(PatchHeaders.PREV);
        if ( expectedPrev == null ) {
            assertNull(prevHeader, "version " + version + " must not have a prev");
            assertNull(cdcPrev, "version " + version + " must not have a cdc-prev");
        } else {
            assertEquals(Id.fromUUID(UUID.fromString(expectedPrev)).asNode(), prevHeader, "prev of version " + version);
            assertEquals(expectedPrev, cdcPrev, "cdc-prev of version " + version);
        }
    }

    /**
     * Versions 1..n, each complete exactly once, in order; a run of first parts of version v
     * that stops short is allowed only right before the complete run of v.
     *
     * @return how many interrupted runs there were
     */
    static int checkOnceInOrder(List<ConsumerRecord<byte[], byte[]>> records, long n) {
        long expect = 1;
        int interrupted = 0;
        int i = 0;
        while ( i < records.size() ) {
            ConsumerRecord<byte[], byte[]> first = records.get(i);
            long v = TopicRecords.version(first);
            int count = Integer.parseInt(TopicRecords.header(first, PatchMessages.PARTS));
            assertEquals(expect, v, () -> "expected version at " + TopicRecords.describe(first));
            assertEquals("0", TopicRecords.header(first, PatchMessages.PART), () -> "a patch starts with part 0: " + TopicRecords.describe(first));
            int s = 0;
            int j = i;
            while ( j < records.size() && s < count && TopicRecords.version(records.get(j)) == v
                    && Integer.toString(s).equals(TopicRecords.header(records.get(j), PatchMessages.PART)) ) {
                j++;
                s++;
            }
            if ( s == count ) {
                expect++;
            } else {
                interrupted++;
                int at = j;
                assertTrue(at < records.size() && TopicRecords.version(records.get(at)) == v
                           && "0".equals(TopicRecords.header(records.get(at), PatchMessages.PART)),
                           () -> "an interrupted patch must be followed by the whole patch again; after " + TopicRecords.describe(records.get(at - 1)));
            }
            i = j;
        }
        assertEquals(n, expect - 1, "the last version in the topic is the log's last");
        return interrupted;
    }
}
