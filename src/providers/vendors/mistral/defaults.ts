// Mistral's public API address, the default base_url of a mistral profile. Kept apart from the
// provider so the registry can name it without importing the vendor SDK.
export const DEFAULT_MISTRAL_BASE_URL = 'https://api.mistral.ai';
