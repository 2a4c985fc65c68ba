/** One part of a multipart/form-data body: a field (no filename) or a file. `rawHeaders` replaces the usual ones. */
export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
  rawHeaders?: string;
}

/** Encodes parts as multipart/form-data with `boundary`; `close: false` leaves out the closing delimiter. */
export function multipartBody(parts: readonly Part[], boundary: string, options: { close?: boolean; eol?: string } = {}): Buffer {
  const eol = options.eol ?? '\r\n';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const headers =
      part.rawHeaders ??
      [
        `Content-Disposition: form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`,
        ...(part.contentType === undefined ? [] : [`Content-Type: ${part.contentType}`]),
      ].join(eol);
    chunks.push(Buffer.from(`--${boundary}${eol}${headers}${eol}${eol}`, 'latin1'), part.data, Buffer.from(eol, 'latin1'));
  }
  if (options.close !== false) chunks.push(Buffer.from(`--${boundary}--${eol}`, 'latin1'));
  return Buffer.concat(chunks);
}

/** The Content-Type header of a multipart/form-data body. */
export function multipartType(boundary: string): string {
  return `multipart/form-data; boundary=${boundary}`;
}
