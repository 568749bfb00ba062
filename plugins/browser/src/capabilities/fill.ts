import type { BrowserRuntime } from '../browser/BrowserRuntime.js';
import { SELECTOR_SCHEMA, inputSchema, outputSchema } from '../schemas.js';
import type { PageSummary } from '../session/PageSession.js';
import type { PageInput } from '../session/withPage.js';
import { defineBrowserCapability } from './defineBrowserCapability.js';

export interface FillField {
  /** An input, textarea, select-less editable element; must match exactly one. */
  selector: string;
  value: string;
}

export interface FillInput extends PageInput {
  /** Filled in order. */
  fields: FillField[];
  /** Clicked after filling (a submit button); then the navigation it starts is waited for. */
  submit?: string;
}

export interface FillOutput extends PageSummary {
  /** Fields filled. */
  filled: number;
}

/** `browser.fill`: opens a page, fills form fields, optionally clicks submit. */
export function fillCapability(runtime: BrowserRuntime) {
  return defineBrowserCapability<FillInput, FillOutput>(runtime, {
    id: 'browser.fill',
    description:
      'Opens an allowed URL, fills form fields (CSS selector and value each), optionally clicks a submit element and waits for the navigation; returns the resulting URL, status and title.',
    inputSchema: inputSchema(
      {
        fields: {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['selector', 'value'],
            properties: { selector: SELECTOR_SCHEMA, value: { type: 'string', maxLength: 1_000_000 } },
          },
        },
        submit: SELECTOR_SCHEMA,
      },
      ['fields'],
    ),
    outputSchema: outputSchema({ filled: { type: 'integer', minimum: 0 } }, ['filled']),
    async run(session, input) {
      const { page } = session;
      for (const field of input.fields) {
        await session.act(`filling ${JSON.stringify(field.selector)}`, (timeout) => page.locator(field.selector).fill(field.value, { timeout }));
      }
      const submit = input.submit;
      if (submit !== undefined) {
        await session.act(`clicking ${JSON.stringify(submit)}`, (timeout) => page.locator(submit).click({ timeout }), input.waitUntil ?? 'load');
      }
      return { ...(await session.summary()), filled: input.fields.length };
    },
  });
}
