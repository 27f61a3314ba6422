/// Placeholder until the target's first real file lands; delete it then.
enum ElementsPlaceholder {}
