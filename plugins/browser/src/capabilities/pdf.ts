import type { BrowserRuntime } from '../browser/BrowserRuntime.js';
import { encodeBinary } from '../encoding.js';
import { inputSchema, outputSchema } from '../schemas.js';
import type { PageSummary } from '../session/PageSession.js';
import type { PageInput } from '../session/withPage.js';
import { defineBrowserCapability } from './defineBrowserCapability.js';

export const PDF_FORMATS = ['A3', 'A4', 'A5', 'Legal', 'Letter', 'Tabloid'] as const;

export interface PdfInput extends PageInput {
  /** Paper size. Default A4. */
  format?: (typeof PDF_FORMATS)[number];
  landscape?: boolean;
  /** Print background colours and images. Default false. */
  printBackground?: boolean;
}

export interface PdfOutput extends PageSummary {
  mimeType: 'application/pdf';
  /** The PDF, base64. */
  data: string;
  bytes: number;
}

/** `browser.pdf`: the page printed to PDF, base64. */
export function pdfCapability(runtime: BrowserRuntime) {
  return defineBrowserCapability<PdfInput, PdfOutput>(runtime, {
    id: 'browser.pdf',
    description: 'Opens an allowed URL and returns the page printed to PDF (print media) as base64.',
    inputSchema: inputSchema({ format: { enum: [...PDF_FORMATS] }, landscape: { type: 'boolean' }, printBackground: { type: 'boolean' } }),
    outputSchema: outputSchema(
      { mimeType: { const: 'application/pdf' }, data: { type: 'string', contentEncoding: 'base64' }, bytes: { type: 'integer', minimum: 0 } },
      ['mimeType', 'data', 'bytes'],
    ),
    async run(session, input, grants) {
      const pdf = await session.act('printing to PDF', () =>
        session.page.pdf({ format: input.format ?? 'A4', landscape: input.landscape === true, printBackground: input.printBackground === true }),
      );
      return { ...(await session.summary()), mimeType: 'application/pdf' as const, ...encodeBinary(pdf, grants.maxOutputBytes, 'PDF') };
    },
  });
}
