// OpenAI's public API address, the default base_url of a openai profile. Kept apart from the
// provider so the registry can name it without importing the vendor SDK.
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
