// Placeholder: filled in by the clustering work of session 2.
export {};
