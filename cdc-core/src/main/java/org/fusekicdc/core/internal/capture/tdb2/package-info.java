/**
 * Everything in fuseki-cdc that reaches into TDB2's internals, and nothing else: the one-lookup
 * adds that say whether a quad was new and give it back in TDB2's canonical terms
 * ({@link org.fusekicdc.core.internal.capture.tdb2.Tdb2Adds}, through TDB2's node table, tuple indexes
 * and node ids), the data version that says which committed state a transaction sees
 * ({@link org.fusekicdc.core.internal.capture.tdb2.Tdb2DataVersion}, through TDB2's transaction
 * coordinator), and the repair of a journal entry torn by a crash
 * ({@link org.fusekicdc.core.internal.capture.tdb2.Tdb2JournalRepair}, which reads TDB2's journal
 * layout). {@code Tdb2InternalsTest} checks what they rely on against the Jena on the class
 * path and names what changed when an upgrade breaks it.
 */
package org.fusekicdc.core.internal.capture.tdb2;
