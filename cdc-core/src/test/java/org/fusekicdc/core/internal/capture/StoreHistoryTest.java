package org.fusekicdc.core.internal.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import org.apache.jena.atlas.io.IOX;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.DatabaseMgr;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.ChangeLogException;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.History;
import org.fusekicdc.core.internal.log.LogWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A TDB2 store and its change log are tied by their history: what start-up refuses, and how a new history starts. */
class StoreHistoryTest {
    @TempDir
    Path work;
    // Each write adds a new quad, so every transaction is a real change and gets a version.
    private int written;

    private Path storeDir() {
        return work.resolve("store");
    }

    private Path logDir() {
        return work.resolve("log");
    }

    private ChangeLogConfig logConfig() {
        return ChangeLogConfig.defaults(logDir(), "ds").withFsync(false);
    }

    @AfterEach
    void expelStores() {
        TDBInternal.reset();
    }

    private DatasetGraph store() {
        return DatabaseMgr.connectDatasetGraph(storeDir().toString());
    }

    /** Open the pair as the server does, write {@code n} captured transactions, close the log. */
    private ChangeLog captureWrites(long newEpoch, int n) {
        DatasetGraph base = store();
        LogWriter writer = StoreHistory.open(logConfig(), base, storeDir(), newEpoch);
        ChangeLog log = writer.log();
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, writer, CaptureConfig.defaults(work.resolve("spill")));
        for ( int i = 0 ; i < n ; i++ ) {
            int value = ++written;
            Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(:g :s :p " + value + ")")));
        }
        log.close();
        return log;
    }

    private ChangeLogException refused(long newEpoch) {
        return assertThrows(ChangeLogException.class, () -> StoreHistory.open(logConfig(), store(), storeDir(), newEpoch));
    }

    private static void assertContains(String text, String... parts) {
        for ( String part : parts )
            assertTrue(text.contains(part), () -> "expected '" + part + "' in: " + text);
    }

    private History marker() throws IOException {
        Properties p = new Properties();
        try (var in = Files.newInputStream(storeDir().resolve(StoreHistory.MARKER_FILE))) {
            p.load(in);
        }
        return new History(java.util.UUID.fromString(p.getProperty("historyId")), Long.parseLong(p.getProperty("epoch")));
    }

    private void deleteLog() {
        IOX.deleteAll(logDir());
    }

    @Test
    void emptyStoreAndNoLogStartTheFirstHistoryAndMarkTheStore() throws IOException {
        ChangeLog log = captureWrites(0, 2);
        assertEquals(0, log.epoch());
        assertEquals(log.history(), marker());
        try (ChangeLog again = StoreHistory.open(logConfig(), store(), storeDir(), 0).log()) {
            assertEquals(log.history(), again.history());
            assertEquals(2, again.headVersion());
        }
    }

    @Test
    void storeWithDataWhoseLogDirectoryIsGoneIsRefusedNamingTheFix() {
        captureWrites(0, 3);
        deleteLog();
        ChangeLogException ex = refused(0);
        assertContains(ex.getMessage(), "Dataset 'ds'", storeDir().toString(), logDir().toString(), "is missing or empty",
                       "Restore the change log directory", "cdc:startNewHistory 1");
        // Refusing again gives the same answer: the refusal left nothing that would pass next time.
        assertContains(refused(0).getMessage(), "cdc:startNewHistory 1");
    }

    @Test
    void storeWithDataThatWasNeverCapturedIsRefused() {
        DatasetGraph base = store();
        Txn.executeWrite(base, () -> base.add(SSE.parseQuad("(:g :s :p :o)")));
        ChangeLogException ex = refused(0);
        assertContains(ex.getMessage(), "holds data but its change log", "never been captured", "cdc:startNewHistory 1");
    }

    @Test
    void newHistoryStartsAtVersionOneWithTheNextEpochInEveryPatch() throws IOException {
        History first = captureWrites(0, 3).history();
        deleteLog();
        ChangeLog log = captureWrites(1, 2);
        assertEquals(1, log.epoch());
        assertNotEquals(first.id(), log.history().id());
        assertEquals(log.history(), marker());
        try (ChangeLog again = StoreHistory.open(logConfig(), store(), storeDir(), 0).log()) {
            assertEquals(2, again.headVersion());
            assertEquals(1, again.epoch());
            String patch = new String(again.read(1).payloadBytes(), StandardCharsets.UTF_8);
            assertContains(patch, "H epoch 1 .", "H version 1 .");
        }
    }

    @Test
    void firstHistoryPatchesCarryNoEpochHeader() {
        captureWrites(0, 1);
        try (ChangeLog log = StoreHistory.open(logConfig(), store(), storeDir(), 0).log()) {
            assertFalse(new String(log.read(1).payloadBytes(), StandardCharsets.UTF_8).contains("epoch"));
        }
    }

    @Test
    void newHistoryAsksForTheExactEpoch() {
        captureWrites(0, 1);
        deleteLog();
        assertContains(refused(2).getMessage(), "cdc:startNewHistory is 2", "would be 1", "Set cdc:startNewHistory 1");
    }

    @Test
    void aNewHistorySettingLeftInPlaceDoesNothingAndCannotStartAnother() {
        captureWrites(0, 1);
        deleteLog();
        captureWrites(1, 2);
        // Still set: the log is the store's, nothing happens.
        ChangeLog log = captureWrites(1, 1);
        assertEquals(3, log.headVersion());
        assertEquals(1, log.epoch());
        // The log is lost again: the old setting does not start epoch 2 by itself.
        deleteLog();
        assertContains(refused(1).getMessage(), "Set cdc:startNewHistory 2");
    }

    @Test
    void logOfAnotherStoreIsRefused() {
        captureWrites(0, 2);
        Path otherStore = work.resolve("other-store");
        Path otherLog = work.resolve("other-log");
        DatasetGraph other = DatabaseMgr.connectDatasetGraph(otherStore.toString());
        StoreHistory.open(ChangeLogConfig.defaults(otherLog, "ds").withFsync(false), other, otherStore, 0).log().close();
        ChangeLogException ex = assertThrows(ChangeLogException.class,
                                             () -> StoreHistory.open(ChangeLogConfig.defaults(otherLog, "ds"), store(), storeDir(), 0));
        assertContains(ex.getMessage(), "the log is another store's", otherLog.toString(), storeDir().toString());
    }

    @Test
    void storeReplacedByAnEmptyOneUnderAKeptLogIsRefused() {
        captureWrites(0, 3);
        TDBInternal.reset();
        IOX.deleteAll(storeDir());
        ChangeLogException ex = refused(0);
        assertContains(ex.getMessage(), "up to version 3", "has no " + StoreHistory.MARKER_FILE, "cdc:startNewHistory 1");
    }

    @Test
    void damagedLogCanBeReplacedByANewHistoryThatKeepsTheOldFilesAside() throws IOException {
        captureWrites(0, 3);
        Path segment = logDir().resolve(String.format("%020d.log", 1));
        byte[] bytes = Files.readAllBytes(segment);
        bytes[bytes.length - 10] ^= 0x5A;         // inside the last record, which is complete
        Files.write(segment, bytes);
        DamagedRecordException ex = assertThrows(DamagedRecordException.class, () -> StoreHistory.open(logConfig(), store(), storeDir(), 0));
        assertContains(ex.getMessage(), "version 3", segment.toString(), "cdc:startNewHistory");
        try (ChangeLog log = StoreHistory.open(logConfig(), store(), storeDir(), 1).log()) {
            assertEquals(0, log.headVersion());
            assertEquals(1, log.epoch());
        }
        List<Path> aside;
        try (var files = Files.list(logDir())) {
            aside = files.filter(p -> p.getFileName().toString().startsWith("epoch-0-")).toList();
        }
        assertEquals(1, aside.size());
        assertTrue(Arrays.equals(bytes, Files.readAllBytes(aside.get(0).resolve(segment.getFileName()))), "the damaged log is kept as it was");
    }

    @Test
    void logWrittenBeforeHistoriesIsAdoptedByItsStore() throws IOException {
        DatasetGraph base = store();
        try (ChangeLog log = ChangeLog.open(logConfig())) {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, log, CaptureConfig.defaults(work.resolve("spill")));
            Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(:g :s :p :o)")));
            assertEquals(null, log.history());
        }
        try (ChangeLog log = StoreHistory.open(logConfig(), store(), storeDir(), 0).log()) {
            assertEquals(1, log.headVersion());
            assertEquals(0, log.epoch());
            assertEquals(log.history(), marker());
        }
    }

    @Test
    void newHistoryInterruptedBeforeTheStoreWasMarkedIsFinishedOnTheNextStart() throws IOException {
        History old = captureWrites(0, 1).history();
        deleteLog();
        // As if the server stopped after recording the new history in the log, before marking the store.
        History fresh = History.create(1);
        try (ChangeLog log = ChangeLog.open(logConfig())) {
            LogWriter.claim(log).recordHistory(fresh);
        }
        assertEquals(old, marker());
        try (ChangeLog log = StoreHistory.open(logConfig(), store(), storeDir(), 1).log()) {
            assertEquals(fresh, log.history());
        }
        assertEquals(fresh, marker());
    }

    @Test
    void inMemoryStoresHaveNothingToCheck() {
        DatasetGraph mem = DatasetGraphFactory.createTxnMem();
        Txn.executeWrite(mem, () -> mem.add(SSE.parseQuad("(:g :s :p :o)")));
        try (ChangeLog log = StoreHistory.open(logConfig(), mem, null, 0).log()) {
            assertEquals(0, log.epoch());
        }
    }
}
