package org.fusekicdc.core.internal.capture;

import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import org.apache.jena.riot.system.PrefixMap;
import org.apache.jena.riot.system.PrefixMapWrapper;
import org.apache.jena.shared.PrefixMapping;

/**
 * The prefixes of a captured dataset: a change of a mapping is made in the store and recorded
 * (as PA/PD) in the write transaction's changes; setting a prefix to what it already is records
 * nothing.
 */
final class RecordingPrefixMap extends PrefixMapWrapper {
    private final PrefixMap store;
    private final Supplier<TransactionChanges> writing;

    RecordingPrefixMap(PrefixMap store, Supplier<TransactionChanges> writing) {
        super(store);
        this.store = store;
        this.writing = writing;
    }

    @Override
    public void add(String prefix, String iri) {
        String before = store.get(prefix);
        if ( Objects.equals(before, iri) )
            return;
        TransactionChanges tc = writing.get();
        store.add(prefix, iri);
        tc.prefixChanged(prefix, before, iri);
    }

    @Override
    public void delete(String prefix) {
        String before = store.get(prefix);
        if ( before == null )
            return;
        TransactionChanges tc = writing.get();
        store.delete(prefix);
        tc.prefixChanged(prefix, before, null);
    }

    @Override
    public void putAll(PrefixMap pmap) {
        pmap.forEach(this::add);
    }

    @Override
    public void putAll(PrefixMapping pmap) {
        pmap.getNsPrefixMap().forEach(this::add);
    }

    @Override
    public void putAll(Map<String, String> mapping) {
        mapping.forEach(this::add);
    }

    @Override
    public void clear() {
        store.getMappingCopy().keySet().forEach(this::delete);
    }
}
