//! Registration handler: to be built (see the handler issue).
