/** The pup version printed by `pup --version`. */
export const VERSION = "0.1.0";
