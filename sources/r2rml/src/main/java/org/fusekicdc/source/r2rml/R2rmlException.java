package org.fusekicdc.source.r2rml;

import org.fusekicdc.core.CdcException;

/**
 * An R2RML mapping that is invalid (found when it is read), or a data error found when it is
 * evaluated (a column the logical table does not have, an IRI that is not valid, SQL the
 * database rejects). The message names the triples map and the fix.
 */
public class R2rmlException extends CdcException {
    public R2rmlException(String message) {
        super(message);
    }

    public R2rmlException(String message, Throwable cause) {
        super(message, cause);
    }
}
