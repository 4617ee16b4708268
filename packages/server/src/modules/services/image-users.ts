/**
 * Which uid a user of an image is: numeric forms and "root" are decided without the image
 * (userRootForm), names are looked up in the image's /etc/passwd through the engine.
 */
import type { ContainerEngine } from '@berth/engine-api';
import { EngineError, uidInPasswd, userRootForm } from '@berth/shared';

const ttlMs = 5 * 60_000;

export class ImageUsers {
  private readonly passwd = new Map<string, { text: string | null; at: number }>();

  constructor(private readonly engine: ContainerEngine) {}

  private async passwdOf(imageId: string): Promise<string | null> {
    const hit = this.passwd.get(imageId);
    if (hit && Date.now() - hit.at < ttlMs) return hit.text;
    if (!this.engine.readImageFile)
      throw new EngineError(
        `The ${this.engine.kind} engine cannot read /etc/passwd from images, so user names cannot be checked; use a numeric uid.`,
      );
    const buf = await this.engine.readImageFile(imageId, '/etc/passwd');
    const text = buf ? buf.toString('utf8') : null;
    this.passwd.set(imageId, { text, at: Date.now() });
    return text;
  }

  /**
   * Whether `user` (as in spec.user or the image's own user; "" = the image default, root) runs
   * as uid 0 in the image `imageId` (a local image id or reference). A name the image does not
   * define is not root: the engine refuses to start such a container anyway.
   */
  async isRoot(user: string, imageId: string): Promise<boolean> {
    const form = userRootForm(user);
    if (form === 'default' || form === 'root') return true;
    if (form === 'not-root') return false;
    const name = user.split(':')[0]!;
    const text = await this.passwdOf(imageId);
    if (text === null) return false;
    const uid = uidInPasswd(text, name);
    return uid !== null && uid % 4294967296 === 0;
  }
}
