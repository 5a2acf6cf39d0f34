// Google's public API address, the default base_url of a google profile. Kept apart from the
// provider so the registry can name it without importing the vendor SDK.
export const DEFAULT_GOOGLE_BASE_URL = 'https://generativelanguage.googleapis.com';
