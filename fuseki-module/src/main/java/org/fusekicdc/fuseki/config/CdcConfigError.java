package org.fusekicdc.fuseki.config;

import org.apache.jena.rdf.model.Property;
import org.fusekicdc.core.CdcConfigException;

/** A mistake in a {@code cdc:} description, with the property it concerns (null when about the resource as a whole). */
public class CdcConfigError extends CdcConfigException {
    private final transient Property property;

    public CdcConfigError(Property property, String message) {
        super(message);
        this.property = property;
    }

    public Property property() {
        return property;
    }
}
