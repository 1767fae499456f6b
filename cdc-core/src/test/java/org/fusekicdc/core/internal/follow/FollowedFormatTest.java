package org.fusekicdc.core.internal.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchReassembler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A follower reads RDF Patch only: a JSON change event is refused with the fix, and nothing is applied. */
class FollowedFormatTest {
    @TempDir
    Path dir;

    @Test
    void aJsonChangeEventIsRefusedNamingTheFormatOption() {
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "replica").withFsync(false))) {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
            UUID id = UUID.randomUUID();
            byte[] body = ("{\"id\":\"" + id + "\",\"version\":1,\"dataset\":\"ds\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"changes\":[]}")
                .getBytes(StandardCharsets.UTF_8);
            Map<String, String> headers = Map.of(PatchMessages.VERSION, "1", PatchMessages.ID, id.toString(), PatchMessages.DATASET, "ds",
                                                 PatchMessages.CONTENT_TYPE, MessageFormats.JSON_CONTENT_TYPE);
            LeaderPatchApplier.BadPatchException ex = assertThrows(LeaderPatchApplier.BadPatchException.class, () -> LeaderPatchApplier.apply(
                dsg, new PatchReassembler.Patch(headers, 1, null, body), new RecordMeta(1, id, null, 0)));
            assertTrue(ex.getMessage().contains("application/json") && ex.getMessage().contains("cdc:format"), ex.getMessage());
            assertEquals(0, log.headVersion(), "nothing applied");
        }
    }
}
